"""Swap models registered by core: ``classic`` (default), ``inswapper`` and ``onnx``."""
