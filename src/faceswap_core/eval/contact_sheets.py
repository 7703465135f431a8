"""Contact sheets: source | target | result strips, and sheets of the best, median and worst pairs.

(In this project a *gallery* is only the identity gallery of retrieval,
:mod:`faceswap_core.eval.retrieval`; the sheets' folder keeps its old name,
``gallery/``, because runs on disk, report links and MOS sheets use it.)

Every swapped pair's strip is saved (``gallery/pairs/<pair_id>.jpg``) so a
comparison report can put two runs' results for the same pair side by side
and a MOS sheet can show any pair. The sheets rank pairs by one per-pair value
(identity cosine to the source by default): the best, the ones around the
median, and the worst.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from faceswap_core.interfaces.face import Image
from faceswap_core.io.atomic import atomic_write_bytes
from faceswap_core.io.decode import decode
from faceswap_core.io.encode import encode

GAP = 4
"""White pixels between the images of a strip and between the rows of a sheet."""

GROUPS: tuple[str, ...] = ("best", "median", "worst")

DISPLAY_CROP = 128
"""Side of each crop in a strip (the classic template: the whole face with a margin)."""


def strip(images: Sequence[Image], *, gap: int = GAP) -> Image:
    """Images of one height side by side, separated by white gaps."""
    if not images:
        raise ValueError("a strip needs at least one image")
    height = images[0].shape[0]
    if any(image.shape[0] != height for image in images):
        raise ValueError("strip images must share one height")
    spacer = np.full((height, gap, 3), 255, np.uint8)
    parts: list[Image] = []
    for index, image in enumerate(images):
        if index:
            parts.append(spacer)
        parts.append(np.asarray(image, np.uint8))
    return np.ascontiguousarray(np.hstack(parts))


def grid(rows: Sequence[Image], *, gap: int = GAP) -> Image:
    """Strips stacked top to bottom (narrower ones padded white on the right)."""
    if not rows:
        raise ValueError("a grid needs at least one row")
    width = max(row.shape[1] for row in rows)
    parts: list[Image] = []
    for index, row in enumerate(rows):
        if index:
            parts.append(np.full((gap, width, 3), 255, np.uint8))
        pad = width - row.shape[1]
        if pad:
            row = np.hstack([row, np.full((row.shape[0], pad, 3), 255, np.uint8)])
        parts.append(row)
    return np.ascontiguousarray(np.vstack(parts))


def select(values: Mapping[str, float], rows: int) -> dict[str, list[str]]:
    """Pair ids with the highest, the middle and the lowest values (``rows`` each).

    Ties keep the order of ``values``; groups do not share ids when there are
    at least ``3 * rows`` pairs.
    """
    ordered = sorted(values, key=lambda key: values[key], reverse=True)
    count = len(ordered)
    take = min(rows, count)
    middle = max((count - take) // 2, 0)
    return {
        "best": ordered[:take],
        "median": ordered[middle : middle + take],
        "worst": ordered[::-1][:take],
    }


def write_strip(folder: Path, pair_id: str, images: Sequence[Image]) -> Path:
    """Save one pair's strip as JPEG, with provenance (it shows a swapped face)."""
    data = encode(strip(images), "jpg", quality=90, provenance=True)
    return atomic_write_bytes(folder / f"{pair_id}.jpg", data)


def read_strip(folder: Path, pair_id: str) -> Image | None:
    path = folder / f"{pair_id}.jpg"
    if not path.is_file():
        return None
    return decode(path, name=f"pair strip {pair_id}")


def write_sheets(
    strips_dir: Path, out_dir: Path, groups: Mapping[str, Sequence[str]]
) -> dict[str, Path]:
    """``best.jpg``, ``median.jpg``, ``worst.jpg`` from the saved strips of the chosen pairs."""
    written: dict[str, Path] = {}
    for group, ids in groups.items():
        rows = [
            image for image in (read_strip(strips_dir, pid) for pid in ids) if image is not None
        ]
        if not rows:
            continue
        data = encode(grid(rows), "jpg", quality=90, provenance=True)
        written[group] = atomic_write_bytes(out_dir / f"{group}.jpg", data)
    return written


__all__ = [
    "DISPLAY_CROP",
    "GROUPS",
    "grid",
    "read_strip",
    "select",
    "strip",
    "write_sheets",
    "write_strip",
]
