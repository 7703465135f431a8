"""faceswap-trt: TensorRT FP16 engines for faceswap, with fallback to ONNX Runtime.

The ``tensorrt`` runtime (``pipeline.runtime: {type: tensorrt}``, ``--runtime
tensorrt``) and the ``tensorrt`` exporter (``faceswap export tensorrt``).
"""
