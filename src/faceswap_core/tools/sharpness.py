"""How much detail and identity a swap keeps, on the faces the packages ship.

``python -m faceswap_core.tools.sharpness`` (and ``nox -s sharpness``) swaps
the sample pairs with the default pipeline and prints, per pair, the
sharpness (variance of the Laplacian over the inner face, see
:mod:`faceswap_core.eval.sharpness`) of the source face, the target face and
the swapped face, the share of the lesser input's sharpness the result kept,
and the dlib identity distance from the source to the target (before) and to
the result (after). Then the same for every ordered pair of t1's six faces,
as a summary. Faces are found again in the result, so the numbers are what a
reader of the output image gets.

The pairs:

- ``tom_hanks -> astronaut``: insightface's portrait onto scikit-image's astronaut;
- ``demo``: ``faceswap demo``'s pair, t1's clearest face onto the astronaut;
- ``t1 largest -> astronaut``: the face the pipeline takes from t1.jpg as a source;
- ``astronaut -> tom_hanks``: the other way round;
- ``t1[i] -> t1[j]``: t1's faces left to right, each cut out with half its size around it.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable, Sequence
from typing import TextIO

import attrs
import numpy as np
import numpy.typing as npt

from faceswap_core.errors import NoFaceError
from faceswap_core.eval.sharpness import face_sharpness, kept
from faceswap_core.interfaces import Recognizer
from faceswap_core.interfaces.face import Face, Image
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.tools.samples import demo_pair, load_sample
from faceswap_core.vision.crop import crop_around
from faceswap_core.vision.selection import largest

RULE = 0.5
"""The least share of the lesser input's sharpness a swapped face keeps (issue 19)."""

T1_MARGIN = 0.5
"""Context cut out around each t1 face for the t1 pairs (times the face's size, each side)."""


@attrs.frozen
class FaceMeasure:
    """One face as found in an image: its sharpness and its dlib embedding."""

    sharpness: float
    embedding: npt.NDArray[np.float64]


@attrs.frozen
class PairMeasure:
    """A swap measured: sharpness of the inputs and the result, and identity distances.

    :ivar before: dlib distance from the source face to the target face.
    :ivar after: dlib distance from the source face to the swapped face.
    """

    name: str
    source: float
    target: float
    result: float
    before: float
    after: float

    @property
    def kept(self) -> float:
        """The result's sharpness over the lesser input's."""
        return kept(self.result, self.source, self.target)

    @property
    def gain(self) -> float:
        """How much closer the swapped face is to the source than the target was."""
        return self.before - self.after


class SwapMeter:
    """Measures swaps made by ``pipeline`` with the dlib recognizer (built once)."""

    def __init__(self, pipeline: Pipeline | None = None) -> None:
        self.pipeline = pipeline if pipeline is not None else Pipeline()
        plugins = self.pipeline.plugins
        self.recognizer: Recognizer = plugins.build(
            "recognizer", "dlib", context=self.pipeline.context
        )

    def face(self, image: Image, *, role: str) -> FaceMeasure:
        """Sharpness and embedding of the largest face in ``image``."""
        found: Face | None = largest(self.pipeline.detect(image))
        if found is None:
            raise NoFaceError(f"no face found in the {role} image; sharpness needs a face")
        landmarks = self.pipeline.landmarker.landmarks(image, found)
        embedding = np.asarray(self.recognizer.embed(image, found), np.float64)
        return FaceMeasure(face_sharpness(image, landmarks), embedding)

    def pair(self, name: str, source: Image, target: Image) -> PairMeasure:
        """Swap ``source``'s largest face into ``target``'s largest face and measure both ends."""
        src = self.face(source, role="source")
        tgt = self.face(target, role="target")
        result = self.pipeline.swap(target, source, faces="largest")
        out = self.face(result.image, role="result")
        return PairMeasure(
            name=name,
            source=src.sharpness,
            target=tgt.sharpness,
            result=out.sharpness,
            before=float(np.linalg.norm(src.embedding - tgt.embedding)),
            after=float(np.linalg.norm(src.embedding - out.embedding)),
        )


def shipped_pairs(pipeline: Pipeline) -> list[tuple[str, Image, Image]]:
    """The named sample pairs (see the module docstring), as ``(name, source, target)``."""
    tom, astronaut, group = load_sample("tom_hanks"), load_sample("astronaut"), load_sample("t1")
    demo_source, demo_target = demo_pair(pipeline)
    biggest = largest(pipeline.detect(group))
    if biggest is None:  # pragma: no cover - the sample always has six faces
        raise NoFaceError("no face found in t1.jpg")
    return [
        ("tom_hanks -> astronaut", tom, astronaut),
        ("demo (t1 clearest -> astronaut)", demo_source, demo_target),
        ("t1 largest -> astronaut", crop_around(group, biggest), astronaut),
        ("astronaut -> tom_hanks", astronaut, tom),
    ]


def t1_faces(pipeline: Pipeline) -> list[Image]:
    """t1's six faces left to right, each with :data:`T1_MARGIN` of context."""
    group = load_sample("t1")
    faces = sorted(pipeline.detect(group), key=lambda face: float(face.bbox[0]))
    return [crop_around(group, face, T1_MARGIN) for face in faces]


def t1_pairs(pipeline: Pipeline) -> list[tuple[str, Image, Image]]:
    """Every ordered pair of t1's faces (30), as ``(name, source, target)``."""
    faces = t1_faces(pipeline)
    return [
        (f"t1[{i}] -> t1[{j}]", faces[i], faces[j])
        for i, j in itertools.permutations(range(len(faces)), 2)
    ]


def format_rows(rows: Iterable[PairMeasure]) -> list[str]:
    """A fixed-width table of measured pairs."""
    header = (
        f"{'pair':34} {'source':>8} {'target':>8} {'result':>8} {'kept':>6} "
        f"{'id before':>9} {'id after':>8}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row.name:34} {row.source:8.0f} {row.target:8.0f} {row.result:8.0f} "
            f"{row.kept:6.2f} {row.before:9.3f} {row.after:8.3f}"
        )
    return lines


def summary(rows: Sequence[PairMeasure]) -> str:
    """Least, median and largest share kept; pairs under :data:`RULE`; mean identity gain."""
    shares = np.array([row.kept for row in rows])
    below = [row.name for row in rows if row.kept < RULE]
    return (
        f"{len(rows)} pairs: sharpness kept min {shares.min():.2f}, median "
        f"{float(np.median(shares)):.2f}, max {shares.max():.2f}; below {RULE}: "
        f"{', '.join(below) if below else 'none'}; identity gain (before - after) mean "
        f"{float(np.mean([row.gain for row in rows])):.3f}"
    )


def report(meter: SwapMeter | None = None, out: TextIO = sys.stdout) -> list[PairMeasure]:
    """Measure the shipped pairs and t1's pairs; print both tables; return every measure."""
    meter = meter if meter is not None else SwapMeter()
    swapper = meter.pipeline.config.swapper.get("type")
    print(
        f"sharpness (variance of the Laplacian, inner face) and dlib identity; {swapper}", file=out
    )
    shipped = [meter.pair(*pair) for pair in shipped_pairs(meter.pipeline)]
    print("\n".join(format_rows(shipped)), file=out)
    print(summary(shipped), file=out)
    t1 = [meter.pair(*pair) for pair in t1_pairs(meter.pipeline)]
    print("\n".join(format_rows(t1)), file=out)
    print(summary(t1), file=out)
    return shipped + t1


if __name__ == "__main__":  # pragma: no cover - python -m faceswap_core.tools.sharpness
    report()
