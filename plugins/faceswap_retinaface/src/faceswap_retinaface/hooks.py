"""Entry point of faceswap-retinaface (components are filled in by their issue)."""

from __future__ import annotations
