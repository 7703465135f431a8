"""Jobs run from a config inside a work_dir: train, eval, stream."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Runner(Protocol):
    """A job (train, eval, stream) that runs from a resolved config inside a work_dir.

    ``config`` is the whole resolved
    :class:`~faceswap_core.config.schema.ExperimentConfig` (seed, data, the
    runner's own section). Runners that can continue an interrupted run
    accept ``resume=True`` as a keyword; core passes it only when resuming.
    The returned mapping is the run's summary (``faceswap train --json`` prints
    ``work_dir``, ``best_checkpoint``, ``last_checkpoint``, ``steps`` and ``metrics``).

    A runner whose checkpoints a registered swapper loads names it in a
    ``swapper`` attribute (faceswap-unet's ``train`` runner: ``"unet"``); the
    run's ``status.json`` records it, and ``faceswap eval --run RUN`` builds
    that swapper on the run's best checkpoint (the swapper config's field
    marked ``metadata={"checkpoint": True}``).

    Not to be confused with :class:`faceswap_core.experiment.loop.TrainingLoop`,
    the framework-free step loop a runner may use.
    """

    def run(self, config: Any, work_dir: Path) -> Mapping[str, Any]: ...


@runtime_checkable
class CheckedRunner(Runner, Protocol):
    """A runner that can check its inputs (data folder, model files) before a work_dir exists.

    Core calls ``check(config)`` first, so a missing dataset or recognizer file
    is a one-line error and leaves no run folder behind.
    """

    def check(self, config: Any) -> None: ...


__all__ = ["CheckedRunner", "Runner"]
