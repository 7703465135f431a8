"""Real sample faces shipped by installed packages (no downloads).

- ``t1``: insightface's group photo with six faces (``insightface/data/images/t1.jpg``).
- ``tom_hanks``: insightface's single portrait (``Tom_Hanks_54745.png``).
- ``astronaut``: scikit-image's portrait of Eileen Collins (``skimage.data.astronaut``).

The demo pair (:func:`demo_pair`) is t1's clearest face onto the astronaut.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from faceswap_core.errors import InputError
from faceswap_core.interfaces.face import Face, Image
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.swappers.classic.symmetry import yaw
from faceswap_core.vision.crop import crop_around

SAMPLES: tuple[str, ...] = ("t1", "tom_hanks", "astronaut")

_INSIGHTFACE_FILES = {"t1": "t1.jpg", "tom_hanks": "Tom_Hanks_54745.png"}


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"sample images need the {name!r} package: pip install {name}")
    return Path(next(iter(spec.submodule_search_locations)))


def sample_path(name: str) -> Path:
    """The file of an insightface sample (``t1`` or ``tom_hanks``)."""
    if name not in _INSIGHTFACE_FILES:
        raise InputError(
            f"no file for sample {name!r}; files exist for {', '.join(_INSIGHTFACE_FILES)}"
        )
    path = _package_dir("insightface") / "data" / "images" / _INSIGHTFACE_FILES[name]
    if not path.is_file():
        raise InputError(f"sample image missing from the insightface package: {path}")
    return path


def load_sample(name: str) -> Image:
    """A sample as an RGB ``uint8`` array."""
    if name == "astronaut":
        from skimage import data

        return np.ascontiguousarray(data.astronaut(), dtype=np.uint8)  # type: ignore[no-untyped-call]
    if name not in SAMPLES:
        raise InputError(f"unknown sample {name!r}; samples are {', '.join(SAMPLES)}")
    from PIL import Image as PILImage

    with PILImage.open(sample_path(name)) as handle:
        return np.asarray(handle.convert("RGB"), dtype=np.uint8).copy()


def best_source_face(image: Image, faces: list[Face], pipeline: Pipeline) -> Face:
    """The face that makes the clearest source: frontal, with open eyes.

    Scored by the eye aspect ratio (eyelid gap over eye width, from the
    68 landmarks) minus the head's yaw, so a turned or blinking face loses.
    """

    def eye_open(eye: np.ndarray) -> float:
        gap = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
        return float(gap / (2.0 * (np.linalg.norm(eye[0] - eye[3]) or 1.0)))

    def score(face: Face) -> float:
        points = pipeline.landmarker.landmarks(image, face)
        return (eye_open(points[36:42]) + eye_open(points[42:48])) / 2 - abs(yaw(points))

    return max(faces, key=score)


def demo_pair(pipeline: Pipeline) -> tuple[Image, Image]:
    """``faceswap demo``'s source and target: t1's clearest face (with context), the astronaut."""
    group = load_sample("t1")
    source = crop_around(group, best_source_face(group, pipeline.detect(group), pipeline))
    return source, load_sample("astronaut")
