"""faceswap-unet plugin."""
