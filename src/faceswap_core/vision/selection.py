"""Which target faces get swapped: ``all``, the ``largest``, or those matching a ``reference``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from faceswap_core.errors import ConfigError
from faceswap_core.interfaces.face import Face, FloatArray

SELECTIONS: tuple[str, ...] = ("all", "largest", "reference")


def identity_distance(a: FloatArray, b: FloatArray) -> float:
    """Euclidean distance between two L2-normalised embeddings (0 same, 2 opposite)."""
    return float(np.linalg.norm(np.asarray(a, np.float32) - np.asarray(b, np.float32)))


def largest(faces: Sequence[Face]) -> Face | None:
    """The face with the largest box area (ties: the higher detection score)."""
    if not faces:
        return None
    return max(faces, key=lambda f: (f.area, f.score))


def select_faces(
    faces: Sequence[Face],
    mode: str,
    *,
    reference: FloatArray | None = None,
    threshold: float | None = None,
) -> list[int]:
    """Indices of ``faces`` to swap.

    ``reference`` mode needs every face's ``embedding`` and the reference
    embedding; a face is kept when its distance is below ``threshold``.
    """
    if mode == "all":
        return list(range(len(faces)))
    if mode == "largest":
        best = largest(faces)
        return [] if best is None else [next(i for i, f in enumerate(faces) if f is best)]
    if mode == "reference":
        if reference is None or threshold is None:
            raise ConfigError("faces=reference needs a reference image (--reference IMG)")
        keep = []
        for index, face in enumerate(faces):
            if face.embedding is None:
                raise ConfigError("faces=reference needs embeddings; configure a recognizer")
            if identity_distance(face.embedding, reference) < threshold:
                keep.append(index)
        return keep
    raise ConfigError(f"unknown face selection {mode!r}; choose one of {', '.join(SELECTIONS)}")
