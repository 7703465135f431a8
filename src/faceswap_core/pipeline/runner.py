"""``local``: the :class:`~faceswap_core.interfaces.WorkRunner` that runs work in this process.

Batches, video sets and evaluations go through a runner so that the same
code runs here and on a cluster (``ray`` from faceswap-ray): the work is
started once (models loaded once) and applied to each item in order. The
local runner never loses a worker, so its ``retries`` stay 0.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import attrs

from faceswap_core.errors import ConfigError, UnknownComponentError
from faceswap_core.interfaces.jobs import ItemProgress, Work, WorkRunner
from faceswap_core.pipeline.item_progress import reporting
from faceswap_core.plugin.kinds import RUNNER
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins

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
        self,
        work: Work[ItemT, ResultT],
        items: Iterable[ItemT],
        *,
        large: bool = False,
        progress: ItemProgress | None = None,
    ) -> Iterator[ResultT]:
        run = work.start()
        if progress is None:
            return (run(item) for item in items)
        return _reported(run, items, progress)

    def run(self, config: Any, work_dir: Path) -> Mapping[str, Any]:
        """Evaluate ``config``'s ``eval`` section into ``work_dir`` (the eval job)."""
        from faceswap_core.eval.evaluator import evaluate_config

        return evaluate_config(config, work_dir, runner=self)

    def close(self) -> None:
        """Nothing to release."""


def _reported(
    run: Callable[[ItemT], ResultT], items: Iterable[ItemT], progress: ItemProgress
) -> Iterator[ResultT]:
    """Each item run with ``progress`` (bound to its index) as its reporter."""
    for index, item in enumerate(items):
        with reporting(functools.partial(progress, index)):
            result = run(item)
        yield result


CLUSTER_RUNNER = "ray"
"""The registered runner a cluster address goes to (faceswap-ray's)."""


def cluster_runner(
    address: str,
    *,
    workers: int | None = None,
    gpus_per_worker: float | None = None,
    plugins: FaceswapPlugins | None = None,
    **settings: Any,
) -> WorkRunner:
    """A connected cluster runner (``--cluster ADDRESS``); the caller closes it.

    ``settings`` are more of the runner's own (faceswap-ray's ``object_store_mb``...).

    :raises ConfigError: faceswap-ray is not installed (exit 2, with what to install).
    :raises ClusterAddressError: a malformed address (exit 2).
    :raises ClusterError: nothing answers at the address (exit 7).
    """
    from faceswap_core.pipeline.context import build_context

    manager = plugins if plugins is not None else get_plugins()
    ref: dict[str, Any] = {**settings, "type": CLUSTER_RUNNER, "address": address}
    if workers is not None:
        ref["workers"] = workers
    if gpus_per_worker is not None:
        ref["gpus_per_worker"] = gpus_per_worker
    try:
        built = manager.build(RUNNER, ref, context=build_context(manager), path="cluster")
    except UnknownComponentError as exc:
        if exc.name != CLUSTER_RUNNER:
            raise
        raise ConfigError(
            f"cluster {address!r} runs on Ray, which the faceswap-ray plugin brings. "
            + (exc.hint or "Install faceswap-ray.")
        ) from None
    if not isinstance(built, WorkRunner):
        raise ConfigError(f"the {CLUSTER_RUNNER!r} runner cannot run batches ({type(built)})")
    return built


@contextmanager
def open_runner(
    cluster: str | None,
    *,
    workers: int | None = None,
    gpus_per_worker: float | None = None,
    plugins: FaceswapPlugins | None = None,
) -> Iterator[WorkRunner]:
    """The runner of ``cluster`` (``None``: :class:`LocalRunner`), closed at the end."""
    runner: WorkRunner = (
        LocalRunner()
        if cluster is None
        else cluster_runner(
            cluster, workers=workers, gpus_per_worker=gpus_per_worker, plugins=plugins
        )
    )
    try:
        yield runner
    finally:
        runner.close()


def spec_runner(spec: Any, plugins: FaceswapPlugins | None = None) -> Any:
    """:func:`open_runner` from a spec's ``cluster``, ``workers`` and ``gpus_per_worker``."""
    return open_runner(
        spec.cluster, workers=spec.workers, gpus_per_worker=spec.gpus_per_worker, plugins=plugins
    )


__all__ = ["CLUSTER_RUNNER", "LOCAL", "LocalRunner", "cluster_runner", "open_runner", "spec_runner"]
