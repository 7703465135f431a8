"""faceswap-rest plugin."""
