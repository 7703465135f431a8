"""Face selection: all, largest, reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceswap_core.errors import ConfigError
from faceswap_core.interfaces.face import Face
from faceswap_core.vision.selection import identity_distance, select_faces

KPS = np.zeros((5, 2), np.float32)


def _face(size: float, embedding: list[float] | None = None) -> Face:
    return Face(bbox=[0, 0, size, size], score=0.9, kps=KPS, embedding=embedding)


@given(st.lists(st.floats(1, 1000), min_size=1, max_size=12))
def test_largest_picks_the_biggest_box(sizes: list[float]) -> None:
    faces = [_face(s) for s in sizes]
    (index,) = select_faces(faces, "largest")
    # Boxes are float32, so compare the areas the faces actually have.
    assert faces[index].area == max(face.area for face in faces)
    assert select_faces(faces, "all") == list(range(len(sizes)))


def test_empty_selection() -> None:
    assert select_faces([], "largest") == []
    assert select_faces([], "all") == []


def test_reference_keeps_faces_within_threshold() -> None:
    faces = [_face(10, [1, 0, 0]), _face(10, [0.9, 0.1, 0]), _face(10, [0, 1, 0])]
    reference = np.array([1, 0, 0], np.float32)
    assert select_faces(faces, "reference", reference=reference, threshold=0.5) == [0, 1]
    assert select_faces(faces, "reference", reference=reference, threshold=0.01) == [0]
    assert identity_distance(np.array([1, 0]), np.array([0, 1])) == pytest.approx(np.sqrt(2))


def test_reference_errors() -> None:
    with pytest.raises(ConfigError, match="reference image"):
        select_faces([_face(1)], "reference")
    with pytest.raises(ConfigError, match="embeddings"):
        select_faces([_face(1)], "reference", reference=np.ones(3, np.float32), threshold=1.0)
    with pytest.raises(ConfigError, match="unknown face selection"):
        select_faces([_face(1)], "biggest")
