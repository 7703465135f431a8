"""Geometry and pixels around faces: alignment, face selection, paste-back blending, crops,
and across video frames: tracking and temporal smoothing."""
