"""Jobs run from a config inside a work_dir: train, eval, stream."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Runner(Protocol):
    """A job (train, eval, stream) that runs from a resolved config inside a work_dir.

    Not to be confused with :class:`faceswap_core.experiment.loop.TrainingLoop`,
    the framework-free step loop a runner may use.
    """

    def run(self, config: Any, work_dir: Path) -> Mapping[str, Any]: ...


__all__ = ["Runner"]
