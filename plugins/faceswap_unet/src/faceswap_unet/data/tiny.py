"""The ``tiny`` dataset: real faces from installed packages, in LFW layout, prepared once.

Eight people: the six faces of insightface's ``t1.jpg`` group photo, the
astronaut (scikit-image) and Tom Hanks (insightface). Each becomes a
250 x 250 LFW-style image centred on the face, plus seeded variations
(rotation, scale, shift, brightness, mirror, JPEG quality) so every person
has several images. The raw tree goes through the same
:func:`~faceswap_unet.data.prepare.prepare_lfw` as real LFW. It is built
once per crop size and cached under ``$FACESWAP_HOME/datasets`` (default
``~/.cache/faceswap/datasets``), which is what ``faceswap train
configs/face_swap/smoke.yaml`` uses when ``data.root`` is not set, so the
smoke run works from a fresh clone, offline.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from faceswap_core.io.atomic import atomic_path
from faceswap_unet.configs import LfwConfig

VERSION = 1
IMAGES_PER_PERSON = 5
LFW_SIDE = 250
FACE_FRACTION = 0.42
"""The face box's share of an LFW image's side (LFW faces are ~100 px of 250)."""


def cache_root() -> Path:
    home = os.environ.get("FACESWAP_HOME")
    base = Path(home).expanduser() if home else Path.home() / ".cache" / "faceswap"
    return base / "datasets"


def tiny_dir(config: LfwConfig) -> Path:
    return cache_root() / f"tiny-lfw-v{VERSION}-{config.template}-{config.crop_size}"


def _people() -> Iterator[tuple[str, np.ndarray[Any, Any], Any]]:
    """(name, image, face) of each sample person, faces ordered left to right in t1."""
    from faceswap_core.tools.samples import load_sample
    from faceswap_unet.data.prepare import build_detector

    detector = build_detector({"type": "retinaface"})
    group = load_sample("t1")
    faces = sorted(detector.detect(group), key=lambda f: float(f.bbox[0]))
    for number, face in enumerate(faces, start=1):
        yield f"T1_Person_{number}", group, face
    for name, sample in (("Eileen_Collins", "astronaut"), ("Tom_Hanks", "tom_hanks")):
        image = load_sample(sample)
        found = detector.detect(image)
        if found:
            yield name, image, max(found, key=lambda f: f.area)


def lfw_style(image: np.ndarray[Any, Any], face: Any, rng: np.random.Generator | None) -> Any:
    """A 250 x 250 image centred on the face; with ``rng``, a seeded variation of it."""
    import cv2

    x1, y1, x2, y2 = (float(v) for v in face.bbox)
    centre = np.array([(x1 + x2) / 2, (y1 + y2) / 2])
    scale = LFW_SIDE * FACE_FRACTION / max(x2 - x1, y2 - y1)
    angle, flip, brightness = 0.0, False, 1.0
    if rng is not None:
        angle = float(rng.uniform(-10, 10))
        scale *= float(rng.uniform(0.9, 1.1))
        centre = centre + rng.uniform(-0.06, 0.06, size=2) * (x2 - x1)
        flip = bool(rng.random() < 0.5)
        brightness = float(rng.uniform(0.8, 1.2))
    matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, scale)
    matrix[:, 2] += np.array([LFW_SIDE / 2, LFW_SIDE / 2]) - centre
    out = cv2.warpAffine(image, matrix, (LFW_SIDE, LFW_SIDE), borderMode=cv2.BORDER_REFLECT_101)
    if flip:
        out = np.ascontiguousarray(out[:, ::-1])
    return np.clip(out.astype(np.float32) * brightness, 0, 255).astype(np.uint8)


def write_raw_tree(folder: Path, *, seed: int = 0, per_person: int = IMAGES_PER_PERSON) -> int:
    """Write ``<Name>/<Name>_NNNN.jpg`` for every sample person; returns the image count."""
    import cv2

    rng = np.random.default_rng(seed)
    count = 0
    for name, image, face in _people():
        person = folder / name
        person.mkdir(parents=True, exist_ok=True)
        for number in range(1, per_person + 1):
            picture = lfw_style(image, face, None if number == 1 else rng)
            quality = 95 if number == 1 else int(rng.integers(70, 96))
            ok, data = cv2.imencode(
                ".jpg", picture[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality]
            )
            if not ok:
                raise OSError("JPEG encoding failed")
            (person / f"{name}_{number:04d}.jpg").write_bytes(data.tobytes())
            count += 1
    return count


def build_tiny(config: LfwConfig | None = None) -> Path:
    """The prepared tiny dataset for ``config``'s crop size and template, built once.

    Returns the prepared folder (``<cache>/tiny-lfw-.../prepared``); its raw
    LFW tree is beside it in ``raw/``.
    """
    from faceswap_unet.data.prepare import prepare_lfw

    settings = attrs.evolve(config or LfwConfig(), root=None, workers=1)
    final = tiny_dir(settings)
    prepared = final / "prepared"
    if (prepared / "manifest.json").is_file():
        return prepared
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _lock(final.parent / f".{final.name}.lock"), atomic_path(final) as temp:
            if (prepared / "manifest.json").is_file():  # built while we waited for the lock
                raise _AlreadyBuiltError
            write_raw_tree(temp / "raw")
            prepare_lfw(temp / "raw", temp / "prepared", settings)
    except _AlreadyBuiltError:
        pass
    return prepared


class _AlreadyBuiltError(Exception):
    pass


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (two DDP ranks, two test workers)."""
    import fcntl

    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


__all__ = ["build_tiny", "cache_root", "lfw_style", "tiny_dir", "write_raw_tree"]
