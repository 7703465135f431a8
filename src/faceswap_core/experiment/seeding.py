"""Seeds for reproducible runs: ``random``, numpy and, when present, torch.

Core never imports torch on its own: it is seeded when a plugin has already
imported it, or when the caller asks for it and it is installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
import sys

import numpy as np

from faceswap_core.config.schema import SEED_MAX
from faceswap_core.errors import ConfigError


def apply_seed(seed: int, *, import_torch: bool = False) -> list[str]:
    """Seed ``random``, numpy and, when present, torch; return what was seeded.

    torch is seeded when it is already imported, or when ``import_torch`` is
    true and it is installed; core never imports torch on its own.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        raise ConfigError(f"$.seed: expected an int between 0 and {SEED_MAX}, got {seed!r}")
    seeded = ["random"]
    random.seed(seed)
    np.random.seed(seed)
    seeded.append("numpy")
    torch = sys.modules.get("torch")
    if torch is None and import_torch and importlib.util.find_spec("torch") is not None:
        torch = importlib.import_module("torch")
    if torch is not None:
        torch.manual_seed(seed)
        cuda = getattr(torch, "cuda", None)
        if cuda is not None and cuda.is_available():
            cuda.manual_seed_all(seed)
        seeded.append("torch")
    return seeded


def derive_seed(seed: int, *keys: int) -> int:
    """A seed for one sub-stream (a worker, a rank, a sample index) of a run's ``seed``.

    numpy's ``SeedSequence`` mixes the keys so nearby indices get unrelated
    streams; the same ``(seed, *keys)`` always gives the same value, whatever
    the process, worker count or order of calls.
    """
    if any(isinstance(k, bool) or not isinstance(k, int) or k < 0 for k in (seed, *keys)):
        raise ConfigError(f"seeds and seed keys must be non-negative ints, got {(seed, *keys)!r}")
    state = np.random.SeedSequence(seed, spawn_key=tuple(keys)).generate_state(1, np.uint32)
    return int(state[0])


__all__ = ["apply_seed", "derive_seed"]
