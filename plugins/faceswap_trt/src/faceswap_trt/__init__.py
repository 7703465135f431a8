"""faceswap-trt plugin."""
