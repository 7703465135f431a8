"""Jobs run from a config inside a work_dir (train, eval, stream), and where their work runs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
ItemT_contra = TypeVar("ItemT_contra", contravariant=True)
ResultT_co = TypeVar("ResultT_co", covariant=True)

ItemProgress = Callable[[int, int, int | None], None]
"""``progress(index, done, total)``: how far the item at ``index`` has got (a video's frames)."""


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


class Work(Protocol[ItemT_contra, ResultT_co]):
    """What a worker does: set up once (load the models), then one item at a time.

    A cluster runner pickles the work and calls :meth:`start` once in each
    worker process, so the pipeline is built once per worker, not per item.
    The returned function must not raise for a failure that belongs to one
    item (an unreadable file): it returns that as its result, so a batch goes
    on past it. Anything it raises stops the whole run and reaches the caller
    with its own class. Work that builds components carries ``plugins`` (the
    distribution names the driver loaded) so every worker loads the same ones.
    """

    def start(self) -> Callable[[ItemT_contra], ResultT_co]: ...


@runtime_checkable
class WorkRunner(Runner, Protocol):
    """Where the items of a batch, a set of videos or an evaluation run.

    ``local`` runs them in this process; a cluster runner (``ray`` from
    faceswap-ray) runs them on its workers. Both give the same results in the
    same order, so callers (``faceswap swap``, ``faceswap video``, ``faceswap
    eval``, the REST service) write outputs and summaries one way. As a
    :class:`Runner`, ``run(config, work_dir)`` evaluates an experiment
    config's ``eval`` section into ``work_dir`` with these workers.

    :ivar name: the runner's registered name (``local``, ``ray``).
    :ivar workers: how many items run at once.
    :ivar retries: items run again because the worker running them died,
        since the runner was made (0 for ``local``).
    """

    name: str

    @property
    def workers(self) -> int: ...

    @property
    def retries(self) -> int: ...

    def map(
        self,
        work: Work[ItemT, ResultT],
        items: Iterable[ItemT],
        *,
        large: bool = False,
        progress: ItemProgress | None = None,
    ) -> Iterator[ResultT]:
        """Run ``work`` on every item; results come in the items' order, as they finish.

        :param large: the items are few and heavy (whole videos): one task per
            item rather than batches of many.
        :param progress: called in this process as ``progress(index, done, total)``
            while the item at ``index`` runs, for work that reports how far it has
            got (:mod:`faceswap_core.pipeline.item_progress`; a video: its frames).
        """
        ...

    def close(self) -> None:
        """Release the workers (a runner that started a cluster stops it)."""
        ...


class JobState(Protocol):
    """A detached job as its cluster reports it.

    :ivar status: ``queued``, ``running``, ``done``, ``failed``, ``cancelled``,
        or ``unknown`` (the cluster does not have that id: removed, or lost).
    :ivar done: frames done; ``total`` of how many, when known.
    :ivar error: a failure's one-line reason; ``error_type`` its class name
        (:func:`faceswap_core.errors.error_named` raises it again) and
        ``exit_code`` its exit code.
    :ivar report: a done video's report (``faceswap video --json``).
    """

    @property
    def status(self) -> str: ...

    @property
    def done(self) -> int: ...

    @property
    def total(self) -> int | None: ...

    @property
    def error(self) -> str | None: ...

    @property
    def error_type(self) -> str | None: ...

    @property
    def exit_code(self) -> int: ...

    @property
    def report(self) -> Mapping[str, Any] | None: ...


@runtime_checkable
class DetachedJobs(Protocol):
    """Long jobs (videos) that run on a cluster and outlive the process that submitted them.

    A service submits a job under its own id and finds it again by that id
    after a restart. The output stays with the job until :meth:`result` hands
    its bytes over (the caller writes them, atomically) and :meth:`remove`
    frees it.
    """

    def submit(self, job_id: str, work: Any, task: Any) -> JobState:
        """Start ``work`` (a :class:`~faceswap_core.pipeline.video.VideoWork`) on ``task``."""
        ...

    def status(self, job_id: str) -> JobState: ...

    def cancel(self, job_id: str) -> JobState:
        """Ask the job to stop at its next frame."""
        ...

    def result(self, job_id: str) -> bytes: ...

    def remove(self, job_id: str) -> None: ...


@runtime_checkable
class JobsRunner(WorkRunner, Protocol):
    """A :class:`WorkRunner` whose cluster also keeps :class:`DetachedJobs` (faceswap-ray's)."""

    def jobs(self) -> DetachedJobs: ...


__all__ = [
    "CheckedRunner",
    "DetachedJobs",
    "ItemProgress",
    "JobState",
    "JobsRunner",
    "Runner",
    "Work",
    "WorkRunner",
]
