"""Core's inference runtime: ONNX Runtime sessions with configured providers and threads.

Other runtimes (TensorRT in ``faceswap-trt``) register through
``register_runtimes`` and are chosen with ``pipeline.runtime``.
"""
