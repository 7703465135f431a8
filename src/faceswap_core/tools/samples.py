"""Real sample faces shipped by installed packages (no downloads).

- ``t1``: insightface's group photo with six faces (``insightface/data/images/t1.jpg``).
- ``tom_hanks``: insightface's single portrait (``Tom_Hanks_54745.png``).
- ``astronaut``: scikit-image's portrait of Eileen Collins (``skimage.data.astronaut``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from faceswap_core.errors import InputError
from faceswap_core.interfaces.face import Image

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
