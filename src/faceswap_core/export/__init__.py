"""Export: running registered exporters, ONNX shape helpers, and runtime-vs-runtime checks.

Exporters themselves live in plugins (``faceswap-unet``'s ONNX export,
``faceswap-trt``'s engine builder, ``faceswap-retinaface``'s static detector
graph); core runs them by name (:mod:`.run`), gives them the shape helpers
they share (:mod:`.shapes`) and verifies artifacts across runtimes
(:mod:`.verify`).
"""
