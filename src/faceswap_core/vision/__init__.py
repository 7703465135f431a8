"""Geometry and pixels around faces: alignment, face selection, paste-back blending, crops."""
