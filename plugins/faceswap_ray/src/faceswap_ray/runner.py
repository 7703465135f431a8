"""The ``ray`` runner: a job's items on a Ray cluster, with the local runner's answers.

Where data lives (docs/cluster.md): the driver (this process) reads every
input with core's own checks and ships its bytes through Ray's object store;
workers swap and encode; the driver writes every output atomically, once, in
order. No node needs to see the driver's files, and a retried item can never
leave a duplicate or a partial file, because workers write nothing.

- Many small items (images, eval pairs) go through Ray Data: ``map_batches``
  on an actor pool of ``workers`` actors, each reserving ``gpus_per_worker``
  GPUs and building the job's pipeline once (:class:`_Worker`). The input is
  cut into windows of ``window_mb`` so the driver never holds a whole folder.
- Few large items (videos) are one Ray task each, on as many worker actors;
  so is everything behind a ``ray://`` address, because Ray Data does not
  run through the Ray Client.
- A worker process that dies is restarted by Ray and its items run again;
  a tracker actor counts those re-runs (:attr:`RayRunner.retries`).
- With ``progress``, a board actor holds each running item's latest
  ``(done, total)`` (a video's frames, sent by its worker a few times a
  second); the driver reads it while it waits and calls ``progress`` here.
- A worker whose faceswap or plugin versions differ from the driver's
  refuses the job with one line (:class:`~faceswap_core.errors.WorkerMismatchError`).
"""

from __future__ import annotations

import logging
import os
import pickle
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import ray
import ray.data
from ray.data import ActorPoolStrategy

from faceswap_core.errors import ClusterError, FaceswapError
from faceswap_core.interfaces.jobs import ItemProgress, Work
from faceswap_core.pipeline.item_progress import reporting
from faceswap_ray.address import ClusterAddress, parse_address
from faceswap_ray.config import RayRunnerConfig
from faceswap_ray.versions import Versions, check_versions, installed_plugins, versions_of

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

MIB = 1024 * 1024


class _Tracker:
    """Counts how often each item was started: a second start is a retry."""

    def __init__(self) -> None:
        self.starts: dict[int, int] = {}

    def started(self, indices: list[int]) -> None:
        for index in indices:
            self.starts[index] = self.starts.get(index, 0) + 1

    def retries(self) -> int:
        return sum(count - 1 for count in self.starts.values())


_TrackerActor: Any = ray.remote(num_cpus=0)(_Tracker)


class _Board:
    """The latest ``(done, total)`` each running item reported (a video's frames)."""

    def __init__(self) -> None:
        self.latest: dict[int, tuple[int, int | None]] = {}

    def report(self, index: int, done: int, total: int | None) -> None:
        self.latest[index] = (done, total)

    def read(self) -> dict[int, tuple[int, int | None]]:
        return dict(self.latest)


_BoardActor: Any = ray.remote(num_cpus=0)(_Board)

REPORT_EVERY_S = 0.25
"""How often a worker sends an item's progress to the board (and the driver reads it)."""


class _BoardReporter:
    """An item's reporter on a worker: sends to the board at most every :data:`REPORT_EVERY_S`,
    and :meth:`flush` sends the last numbers and waits, so the driver reads them."""

    def __init__(self, board: Any, index: int) -> None:
        self.board, self.index = board, index
        self.sent = 0.0
        self.last: tuple[int, int | None] | None = None
        self.unsent = False

    def __call__(self, done: int, total: int | None) -> None:
        self.last, self.unsent = (done, total), True
        now = time.monotonic()
        if now - self.sent >= REPORT_EVERY_S:
            self.board.report.remote(self.index, done, total)
            self.sent, self.unsent = now, False

    def flush(self) -> None:
        if self.last is not None and self.unsent:
            ray.get(self.board.report.remote(self.index, *self.last))
            self.unsent = False


class _Raised:
    """An exception a worker raised, carried back as data: Ray's wrappers lose the cause."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _pickled(run: Callable[[], Any]) -> bytes:
    """The pickled result of ``run()``, or of the exception it raised."""
    try:
        return pickle.dumps(run())
    except Exception as exc:
        try:
            return pickle.dumps(_Raised(exc))
        except Exception:  # an exception that does not pickle: keep its class name and text
            return pickle.dumps(_Raised(RuntimeError(f"{type(exc).__name__}: {exc}")))


def _unpickled(blob: bytes) -> Any:
    """A worker's result; an exception it raised is raised here, as itself."""
    value = pickle.loads(blob)
    if isinstance(value, _Raised):
        raise value.error
    return value


class _Worker:
    """One actor of the pool: checks versions, starts the work once, runs batches of items.

    A failure while starting comes back as every item's result, so the driver
    raises it with its own class when it reaches the first of them (a source
    without a face is exit 4 on a cluster too).
    """

    def __init__(
        self, work: Work[Any, Any], expected: Versions, tracker: Any, board: Any = None
    ) -> None:
        self.tracker = tracker
        self.board = board
        self.error: BaseException | None = None
        self.run: Callable[[Any], Any] | None = None
        try:
            check_versions(expected)
            self.run = work.start()
        except Exception as exc:  # returned with the first batch
            self.error = exc

    def _one(self, blob: bytes) -> bytes:
        if self.error is not None:
            error = self.error
            return _pickled(lambda: _reraise(error))
        run = self.run
        assert run is not None
        return _pickled(lambda: run(pickle.loads(blob)))

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        indices = [int(index) for index in batch["index"]]
        ray.get(self.tracker.started.remote(indices))
        out = np.empty(len(indices), dtype=object)
        out[:] = [self._one(blob) for blob in batch["item"]]
        return {"index": batch["index"], "result": out}

    def one(self, index: int, blob: bytes) -> bytes:
        """Run one large item (a video) as its own task, its progress on the board if any."""
        ray.get(self.tracker.started.remote([index]))
        if self.board is None:
            return self._one(blob)
        reporter = _BoardReporter(self.board, index)
        with reporting(reporter):
            result = self._one(blob)
        reporter.flush()
        return result


def _reraise(error: BaseException) -> Any:
    raise error


def _show(board: Any, progress: ItemProgress, shown: dict[int, tuple[int, int | None]]) -> None:
    """Call ``progress`` for every item whose numbers on the board changed since ``shown``."""
    for index, numbers in sorted(ray.get(board.read.remote()).items()):
        if shown.get(index) != numbers:
            shown[index] = numbers
            progress(index, *numbers)


def faceswap_error(exc: BaseException) -> FaceswapError | None:
    """The :class:`FaceswapError` a worker raised, found inside Ray's wrappers, if any."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, FaceswapError) and not isinstance(current, ray.exceptions.RayError):
            return current
        cause = getattr(current, "cause", None)
        stack.extend([current.__cause__, current.__context__])
        if isinstance(cause, BaseException):
            stack.append(cause)
    return None


@contextmanager
def _data_context() -> Iterator[None]:
    """Ordered, quiet Ray Data execution for our datasets; the caller's settings come back."""
    context = ray.data.DataContext.get_current()
    saved = (
        context.execution_options.preserve_order,
        context.enable_progress_bars,
        getattr(context, "print_on_execution_start", None),
    )
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    if saved[2] is not None:
        context.print_on_execution_start = False
    try:
        yield
    finally:
        context.execution_options.preserve_order = saved[0]
        context.enable_progress_bars = saved[1]
        if saved[2] is not None:
            context.print_on_execution_start = saved[2]


class RayRunner:
    """A :class:`~faceswap_core.interfaces.WorkRunner` on a connected Ray cluster.

    Made by :func:`connect`; :meth:`close` stops a ``local`` instance it started.
    """

    name = "ray"

    def __init__(self, config: RayRunnerConfig, address: ClusterAddress, *, owns: bool) -> None:
        self.config = config
        self.address = address
        self._owns = owns
        self._retries = 0

    @property
    def workers(self) -> int:
        return self.config.workers

    @property
    def retries(self) -> int:
        return self._retries

    # -- the WorkRunner interface -------------------------------------------------------

    def map(
        self,
        work: Work[ItemT, ResultT],
        items: Iterable[ItemT],
        *,
        large: bool = False,
        progress: ItemProgress | None = None,
    ) -> Iterator[ResultT]:
        """Batches through Ray Data, or one task per item (``large``, or through the Ray
        Client); only one task per item reports ``progress``."""
        expected = versions_of(self._plugins_of(work))
        if large or progress is not None or self.address.kind == "client":
            # Ray Data does not run through the client
            return self._map_tasks(work, items, expected, progress)
        return self._map_batches(work, items, expected)

    def run(self, config: Any, work_dir: Path) -> Mapping[str, Any]:
        """Evaluate ``config``'s ``eval`` section into ``work_dir``, pairs on the workers."""
        from faceswap_core.eval.evaluator import evaluate_config

        return evaluate_config(config, work_dir, runner=self)

    def jobs(self) -> Any:
        """The cluster's detached video jobs (:class:`faceswap_ray.jobs.RayJobs`)."""
        from faceswap_ray.jobs import RayJobs

        return RayJobs(self.config)

    def close(self) -> None:
        if self._owns and ray.is_initialized():
            ray.shutdown()
        self._owns = False

    def __enter__(self) -> RayRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- batches: Ray Data ----------------------------------------------------------------

    def _remote_args(self) -> dict[str, Any]:
        env = self.config.runtime_env
        return {} if env is None else {"runtime_env": dict(env)}

    @staticmethod
    def _plugins_of(work: object) -> tuple[str, ...]:
        plugins = getattr(work, "plugins", None)
        return tuple(plugins) if plugins is not None else installed_plugins()

    def _windows(self, items: Iterable[Any]) -> Iterator[list[tuple[int, bytes]]]:
        limit = self.config.window_mb * MIB
        window: list[tuple[int, bytes]] = []
        size = 0
        for index, item in enumerate(items):
            blob = pickle.dumps(item)
            window.append((index, blob))
            size += len(blob)
            if size >= limit:
                yield window
                window, size = [], 0
        if window:
            yield window

    def _map_batches(
        self, work: Work[ItemT, ResultT], items: Iterable[ItemT], expected: Versions
    ) -> Iterator[ResultT]:
        for window in self._windows(items):
            yield from self._run_window(work, window, expected)

    def _run_window(
        self, work: Work[ItemT, ResultT], window: list[tuple[int, bytes]], expected: Versions
    ) -> Iterator[ResultT]:
        config = self.config
        tracker: Any = _TrackerActor.remote()
        try:
            with _data_context():
                rows = [{"index": index, "item": blob} for index, blob in window]
                dataset = ray.data.from_items(rows).map_batches(
                    _Worker,
                    fn_constructor_args=(work, expected, tracker),
                    compute=ActorPoolStrategy(size=min(config.workers, len(rows))),
                    batch_size=config.batch_size,
                    num_cpus=config.cpus_per_worker,
                    num_gpus=config.gpus_per_worker,
                    batch_format="numpy",
                    **self._remote_args(),
                )
                batches = iter(dataset.iter_batches(batch_size=None, batch_format="numpy"))
            waiting: dict[int, bytes] = {}
            next_index = window[0][0]
            try:
                for batch in self._guard(batches):
                    for index, blob in zip(batch["index"], batch["result"], strict=True):
                        waiting[int(index)] = blob
                    while next_index in waiting:
                        yield _unpickled(waiting.pop(next_index))
                        next_index += 1
            finally:
                close = getattr(batches, "close", None)
                if close is not None:
                    close()
            self._retries += ray.get(tracker.retries.remote())
        finally:
            ray.kill(tracker)

    @staticmethod
    def _guard(batches: Iterator[dict[str, np.ndarray]]) -> Iterator[dict[str, np.ndarray]]:
        """Batches, with a worker's own error re-raised as itself (not wrapped by Ray)."""
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except Exception as exc:
                found = faceswap_error(exc)
                if found is not None:
                    raise found.with_traceback(None) from None
                raise
            yield batch

    # -- large items: one task each ------------------------------------------------------

    def _map_tasks(
        self,
        work: Work[ItemT, ResultT],
        items: Iterable[ItemT],
        expected: Versions,
        progress: ItemProgress | None = None,
    ) -> Iterator[ResultT]:
        config = self.config
        tracker: Any = _TrackerActor.remote()
        board: Any = None if progress is None else _BoardActor.remote()
        shown: dict[int, tuple[int, int | None]] = {}

        def result(ref: Any) -> Any:
            if board is not None and progress is not None:
                while not ray.wait([ref], timeout=REPORT_EVERY_S)[0]:
                    _show(board, progress, shown)
                _show(board, progress, shown)
            return self._result(ref)

        actor_class: Any = ray.remote(
            num_cpus=config.cpus_per_worker,
            num_gpus=config.gpus_per_worker,
            max_restarts=-1,
            max_task_retries=-1,
            **self._remote_args(),
        )(_Worker)
        pool: list[Any] = [
            actor_class.remote(work, expected, tracker, board) for _ in range(config.workers)
        ]
        pending: list[tuple[int, Any]] = []
        try:
            for index, item in enumerate(items):
                actor = pool[index % len(pool)]
                pending.append((index, actor.one.remote(index, pickle.dumps(item))))
                if len(pending) >= 2 * len(pool):
                    yield result(pending.pop(0)[1])
            while pending:
                yield result(pending.pop(0)[1])
            self._retries += ray.get(tracker.retries.remote())
        finally:
            for _, ref in pending:
                ray.cancel(ref, force=True)
            for actor in pool:
                ray.kill(actor)
            ray.kill(tracker)
            if board is not None:
                ray.kill(board)

    @staticmethod
    def _result(ref: Any) -> Any:
        try:
            blob = ray.get(ref)
        except Exception as exc:
            found = faceswap_error(exc)
            if found is not None:
                raise found.with_traceback(None) from None
            raise
        return _unpickled(blob)


def _quiet() -> None:
    for name in ("ray.data", "ray.data._internal"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _same_gcs(address: ClusterAddress, current: str) -> bool:
    host, _, port = current.rpartition(":")
    if str(address.port) != port:
        return False
    local = {"127.0.0.1", "localhost", "::1"}
    wanted = (address.host or "").strip("[]")
    return wanted == host or (wanted in local and host in local) or wanted in local


def _reason(exc: BaseException) -> str:
    """Ray's first line, and the last line of the server's traceback when it sent one."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return lines[0] if len(lines) == 1 else f"{lines[0]} {lines[-1]}"


CLIENT_START_ATTEMPTS = 3
"""Tries to join through the Ray Client: its proxy starts one server process per driver, and
on a loaded head that start can fail once and succeed on the next try."""


def _init(options: dict[str, Any], *, retry: bool) -> None:
    attempts = CLIENT_START_ATTEMPTS if retry else 1
    for attempt in range(1, attempts + 1):
        try:
            ray.init(**options)
            return
        except ConnectionError as exc:
            if attempt == attempts or "client server failed" not in str(exc):
                raise
            ray.shutdown()
            time.sleep(2.0 * attempt)


def connect(config: RayRunnerConfig | None = None, /, **settings: Any) -> RayRunner:
    """A :class:`RayRunner` on ``config.address`` (or ``connect(address="auto", workers=2)``).

    ``local`` starts a Ray instance for this runner (stopped by ``close()``);
    a process already connected to Ray reuses that connection.

    :raises ClusterAddressError: a malformed address (exit 2).
    :raises ClusterError: nothing answers at the address (exit 7).
    """
    chosen = config if config is not None else RayRunnerConfig(**settings)
    address = parse_address(chosen.address)
    _quiet()
    address.check_reachable(chosen.connect_timeout)
    if ray.is_initialized():
        current = ray.get_runtime_context().gcs_address
        if address.kind == "gcs" and not _same_gcs(address, current):
            raise ClusterError(
                f"this process is already connected to the Ray cluster at {current}, not "
                f"{address.text}; use one cluster per process"
            )
        return RayRunner(chosen, address, owns=False)
    options: dict[str, Any] = {
        "namespace": chosen.namespace,
        "log_to_driver": False,
        "logging_level": logging.WARNING,
    }
    if address.kind == "local":
        options.update(
            address="local",
            include_dashboard=False,
            num_cpus=chosen.num_cpus,
            object_store_memory=(
                None if chosen.object_store_mb is None else chosen.object_store_mb * MIB
            ),
        )
        if chosen.temp_dir is not None:
            options["_temp_dir"] = os.fspath(chosen.temp_dir)
    else:
        options["address"] = address.text
    try:
        _init(options, retry=address.kind == "client")
    except ConnectionError as exc:
        where = (
            "no Ray cluster runs on this machine (address auto); start one with "
            "`ray start --head`, or use the address local"
            if address.kind == "auto"
            else f"cannot join the Ray cluster at {address.text}: {_reason(exc)}"
        )
        raise ClusterError(where) from None
    return RayRunner(chosen, address, owns=address.kind == "local")


__all__ = ["RayRunner", "connect", "faceswap_error"]
