"""The inference pipeline: decode -> detect -> select -> align -> swap -> paste -> encode."""
