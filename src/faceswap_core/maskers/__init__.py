"""Core's paste maskers: box, hull, model, auto, area, occlusion (XSeg), region (BiSeNet).

Each is a :class:`~faceswap_core.interfaces.Masker` component registered
through ``register_maskers`` (:mod:`faceswap_core.maskers.hooks`); the
pipeline combines those named in ``pipeline.paste.mask`` by element-wise
minimum. The two learned ones load ONNX graphs whose contracts
(:mod:`faceswap_core.maskers.contract`) are checked on load and on every run.
"""
