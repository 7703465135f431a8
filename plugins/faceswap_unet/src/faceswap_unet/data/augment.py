"""Training augmentations, registered by name and deterministic per (seed, sample index).

Each augmentation takes an RGB ``uint8`` crop, its five keypoints and a
numpy ``Generator``, and returns both transformed. :func:`augment` derives
the generator from the run's seed and the sample's index with core's
:func:`~faceswap_core.experiment.seeding.derive_seed`, so sample 17 of seed 3
looks the same in every process, worker and rerun.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from faceswap_core.errors import ConfigError
from faceswap_core.experiment.seeding import derive_seed

Array = np.ndarray[Any, Any]
Augmentation = Callable[[Array, Array, np.random.Generator], tuple[Array, Array]]

FLIP_ORDER = (1, 0, 2, 4, 3)
"""After a mirror the subject's left eye is where the right one was (and the mouth corners)."""


def hflip(image: Array, kps: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    """Mirror left-right; keypoints are mirrored and re-ordered (left stays left)."""
    width = image.shape[1]
    flipped = np.ascontiguousarray(image[:, ::-1])
    points = np.asarray(kps, np.float32).copy()
    points[:, 0] = (width - 1) - points[:, 0]
    return flipped, points[list(FLIP_ORDER)]


def color_jitter(
    image: Array, kps: Array, rng: np.random.Generator, strength: float = 0.2
) -> tuple[Array, Array]:
    """Brightness, contrast and saturation each scaled by a factor in [1 - s, 1 + s]."""
    brightness, contrast, saturation = rng.uniform(1 - strength, 1 + strength, size=3)
    pixels = image.astype(np.float32)
    pixels *= brightness
    mean = pixels.mean()
    pixels = (pixels - mean) * contrast + mean
    grey = pixels.mean(axis=2, keepdims=True)
    pixels = (pixels - grey) * saturation + grey
    return np.clip(pixels + 0.5, 0, 255).astype(np.uint8), kps


def blur(image: Array, kps: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    """A mild Gaussian blur, sigma in [0.3, 1.2] pixels."""
    import cv2

    sigma = float(rng.uniform(0.3, 1.2))
    return cv2.GaussianBlur(image, (0, 0), sigmaX=sigma, sigmaY=sigma), kps


AUGMENTATIONS: dict[str, Augmentation] = {
    "hflip": hflip,
    "color_jitter": color_jitter,
    "blur": blur,
}


def check_names(names: Sequence[str]) -> None:
    unknown = [n for n in names if n not in AUGMENTATIONS]
    if unknown:
        raise ConfigError(
            f"$.train.augment.names: unknown augmentation {', '.join(map(repr, unknown))}; "
            f"available: {', '.join(AUGMENTATIONS)}"
        )


def augment(
    image: Array,
    kps: Array,
    *,
    names: Sequence[str],
    seed: int,
    index: int,
    probability: float = 0.5,
) -> tuple[Array, Array]:
    """Apply the named augmentations, each with ``probability``, deterministically per index."""
    check_names(names)
    rng = np.random.default_rng(derive_seed(seed, index))
    for name in names:
        # Always draw, so one augmentation's choice never shifts another's randomness.
        apply = rng.random() < probability
        sub = np.random.default_rng(rng.integers(0, 2**32))
        if apply:
            image, kps = AUGMENTATIONS[name](image, kps, sub)
    return image, kps


__all__ = ["AUGMENTATIONS", "FLIP_ORDER", "augment", "blur", "check_names", "color_jitter", "hflip"]
