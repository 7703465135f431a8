"""``local``: the :class:`~faceswap_core.interfaces.WorkRunner` that runs work in this process.

Batches, video sets and evaluations go through a runner so that the same
code runs here and on a cluster (``ray`` from faceswap-ray): the work is
started once (models loaded once) and applied to each item in order. The
local runner never loses a worker, so its ``retries`` stay 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs

from faceswap_core.interfaces.jobs import Work

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

LOCAL = "local"
"""The address (and runner name) that means this process."""


@attrs.define
class LocalRunner:
    """Runs each item in this process, one at a time, in order."""

    name: str = LOCAL

    @property
    def workers(self) -> int:
        return 1

    @property
    def retries(self) -> int:
        return 0

    def map(
        self, work: Work[ItemT, ResultT], items: Iterable[ItemT], *, large: bool = False
    ) -> Iterator[ResultT]:
        run = work.start()
        return (run(item) for item in items)

    def run(self, config: Any, work_dir: Path) -> Mapping[str, Any]:
        """Evaluate ``config``'s ``eval`` section into ``work_dir`` (the eval job)."""
        from faceswap_core.eval.evaluator import evaluate_config

        return evaluate_config(config, work_dir, runner=self)

    def close(self) -> None:
        """Nothing to release."""


__all__ = ["LOCAL", "LocalRunner"]
