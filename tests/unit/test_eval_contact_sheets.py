"""Contact sheets: which pairs are best / median / worst, and how strips are laid out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faceswap_core.eval.contact_sheets import (
    grid,
    read_strip,
    select,
    strip,
    write_sheets,
    write_strip,
)


def test_select_by_hand() -> None:
    values = {f"p{i}": float(i) for i in range(9)}  # p8 best ... p0 worst
    groups = select(values, 3)
    assert groups == {
        "best": ["p8", "p7", "p6"],
        "median": ["p5", "p4", "p3"],
        "worst": ["p0", "p1", "p2"],
    }


def test_select_with_fewer_pairs_than_rows() -> None:
    assert select({"a": 1.0, "b": 2.0}, 4) == {
        "best": ["b", "a"],
        "median": ["b", "a"],
        "worst": ["a", "b"],
    }


def test_strip_and_grid_layout() -> None:
    red = np.full((10, 10, 3), (255, 0, 0), np.uint8)
    row = strip([red, red, red], gap=2)
    assert row.shape == (10, 34, 3)
    assert (row[:, 10:12] == 255).all()  # white gap
    narrow = strip([red], gap=2)
    image = grid([row, narrow], gap=3)
    assert image.shape == (23, 34, 3)
    assert (image[13:, 10:] == 255).all()  # the narrow row is padded white
    with pytest.raises(ValueError, match="share one height"):
        strip([red, np.zeros((5, 10, 3), np.uint8)])


def test_grids_are_built_from_the_saved_strips(tmp_path: Path) -> None:
    images = [np.full((16, 16, 3), value, np.uint8) for value in (40, 120, 200)]
    write_strip(tmp_path / "pairs", "c1", images)
    back = read_strip(tmp_path / "pairs", "c1")
    assert back is not None
    assert back.shape == (16, 56, 3)
    assert abs(float(back[:, :16].mean()) - 40) < 3
    written = write_sheets(tmp_path / "pairs", tmp_path, {"best": ["c1", "missing"], "worst": []})
    assert set(written) == {"best"}
    assert written["best"].is_file()
