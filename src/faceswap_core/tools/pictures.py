"""Pictures for the docs, made by the pipeline on the sample faces.

``python -m faceswap_core.tools.pictures docs/images/classic.png`` writes the
README's picture of the embedded ``classic`` swapper: for ``faceswap demo``'s
pair and for ``tom_hanks -> astronaut``, the source face, the target face and
the swapped face, each cut around its face at the same framing and shown at
the same size, so the detail the swap keeps can be compared by eye.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from faceswap_core.errors import FaceswapError, NoFaceError
from faceswap_core.interfaces.face import Image
from faceswap_core.io.encode import write_image
from faceswap_core.io.provenance import SOFTWARE_NAME, read_provenance
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.tools.samples import demo_pair, load_sample
from faceswap_core.vision.crop import grown_box
from faceswap_core.vision.selection import largest

PANEL = 160
"""Side of each face panel in pixels."""

FRAMING = 0.1
"""Context around each face box in a panel, times the box's size on each side."""

GAP = 4
"""White pixels between panels and rows."""


def face_panel(image: Image, pipeline: Pipeline, size: int = PANEL) -> Image:
    """The largest face of ``image`` with :data:`FRAMING` around it, resized to ``size`` square."""
    face = largest(pipeline.detect(image))
    if face is None:
        raise NoFaceError("no face found for a picture panel")
    left, top, right, bottom = grown_box(face, FRAMING, image.shape)
    side = max(right - left, bottom - top)
    cx, cy = (left + right) // 2, (top + bottom) // 2
    x0 = int(np.clip(cx - side // 2, 0, max(image.shape[1] - side, 0)))
    y0 = int(np.clip(cy - side // 2, 0, max(image.shape[0] - side, 0)))
    crop = image[y0 : y0 + side, x0 : x0 + side]
    shrink = crop.shape[0] > size
    interpolation = cv2.INTER_AREA if shrink else cv2.INTER_LANCZOS4
    return np.asarray(cv2.resize(crop, (size, size), interpolation=interpolation), np.uint8)


def swap_row(pipeline: Pipeline, source: Image, target: Image) -> Image:
    """Source face | target face | swapped face, side by side."""
    result = pipeline.swap(target, source, faces="largest").image
    panels = [face_panel(image, pipeline) for image in (source, target, result)]
    gap = np.full((PANEL, GAP, 3), 255, np.uint8)
    return np.hstack([panels[0], gap, panels[1], gap, panels[2]])


def classic_picture(pipeline: Pipeline | None = None) -> Image:
    """The README's picture: the demo pair, then ``tom_hanks -> astronaut``."""
    pipeline = pipeline if pipeline is not None else Pipeline()
    rows = [
        swap_row(pipeline, *demo_pair(pipeline)),
        swap_row(pipeline, load_sample("tom_hanks"), load_sample("astronaut")),
    ]
    gap = np.full((GAP, rows[0].shape[1], 3), 255, np.uint8)
    return np.ascontiguousarray(np.vstack([rows[0], gap, rows[1]]))


def _ours(path: Path) -> bool:
    """Whether ``path`` is an image faceswap wrote (its provenance says so)."""
    try:
        record = read_provenance(path)
    except FaceswapError:
        return False
    return record is not None and (record.software or "").startswith(SOFTWARE_NAME)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m faceswap_core.tools.pictures OUT.png", file=sys.stderr)
        return 2
    out = Path(argv[0])
    if out.exists() and not _ours(out):
        print(
            f"Error: {out} exists and was not written by faceswap; choose another path",
            file=sys.stderr,
        )
        return 2
    pipeline = Pipeline()
    out.parent.mkdir(parents=True, exist_ok=True)
    written = write_image(out, classic_picture(pipeline), model="classic")
    print(f"wrote {written} ({written.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":  # pragma: no cover - python -m faceswap_core.tools.pictures OUT
    sys.exit(main(sys.argv[1:]))
