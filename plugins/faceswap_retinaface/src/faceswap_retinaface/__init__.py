"""faceswap-retinaface: face analysis components (detectors, recognizers, landmarkers)."""
