"""Core's face enhancers: GFPGAN 1.4, CodeFormer and GPEN-BFR 256 / 512, run from ONNX.

Each is an :class:`~faceswap_core.interfaces.Enhancer` component registered
through ``register_enhancers`` (:mod:`faceswap_core.enhancers.hooks`), on its
published alignment template, size and normalisation; its graph's contract
(:mod:`faceswap_core.enhancers.contract`) is checked on load and every run.
``pipeline.enhancer`` picks one (:mod:`faceswap_core.enhancers.choice`).
"""
