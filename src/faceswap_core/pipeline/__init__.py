"""The inference pipeline: decode -> detect -> select -> align -> swap -> paste -> encode,
for images (``image``), frame streams (``stream``) and video files (``video``)."""
