"""The service's engine: loaded pipelines, bounded executors, admission, and the work they run.

CPU-bound work never runs on the event loop. Each kind of work has its own
thread pool and its own pipelines, loaded once when the service starts:

- swaps and source registrations: ``serve.threads`` threads, one pipeline each;
  at most ``limits.max_concurrent_swaps`` are admitted (running or waiting for a
  thread), up to ``limits.max_queued_swaps`` more wait for a slot for up to
  ``limits.queue_timeout_s`` (:mod:`faceswap_rest.admission`), then 503 with
  ``Retry-After``;
- WebSocket streams: ``serve.max_streams`` pipelines, one per open stream;
- video jobs: ``serve.max_jobs`` threads and pipelines, queued up to
  ``limits.max_queued_jobs``.

A pipeline is used by one thread at a time (components such as dlib's networks
keep per-call state), so a checked-out pipeline is never shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import attrs
import numpy as np

from faceswap_core.errors import ConfigError, FaceswapError, ModelFileError, VideoTooLargeError
from faceswap_core.experiment.env import usable_cpus
from faceswap_core.io.encode import OUTPUT_FORMATS, encode
from faceswap_core.io.video.probe import probe_video
from faceswap_core.models.store import default_root
from faceswap_core.operations.swap import SwapSpec
from faceswap_core.operations.video import VideoSpec
from faceswap_core.pipeline.image import Pipeline, SourceIdentity
from faceswap_core.pipeline.settings import ENHANCER_OFF, QualityOptions
from faceswap_core.pipeline.timing import StageTimer
from faceswap_core.pipeline.video import swap_video
from faceswap_core.plugin.kinds import ENHANCER
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins
from faceswap_rest.admission import Admission, Release
from faceswap_rest.config import Settings
from faceswap_rest.errors import (
    LoadFailedError,
    OverloadedError,
    RequestTimeoutError,
    disk_full,
    error_kind,
)
from faceswap_rest.jobs import (
    ACTIVE,
    JobCancelledError,
    JobInterruptedError,
    JobRecord,
    JobStore,
    ProgressWriter,
)
from faceswap_rest.media import DEFAULT_IMAGE_FORMAT, check_format
from faceswap_rest.observability import Metrics
from faceswap_rest.redact import Redactor
from faceswap_rest.remote_jobs import RemoteJobs
from faceswap_rest.sources import SourceRegistry

T = TypeVar("T")
logger = logging.getLogger("faceswap.rest")

MAX_DEFAULT_THREADS = 4


class PipelinePool:
    """``size`` loaded pipelines; :meth:`checkout` lends one to one thread at a time."""

    def __init__(self, name: str, size: int, factory: Callable[[], Pipeline]) -> None:
        self.name = name
        self.size = size
        self.factory = factory
        self._free: queue.Queue[Pipeline] = queue.Queue()
        self.all: list[Pipeline] = []

    def load(self) -> None:
        for _ in range(self.size):
            pipeline = self.factory()
            warm(pipeline)
            self.all.append(pipeline)
            self._free.put(pipeline)

    def try_checkout(self) -> Pipeline | None:
        try:
            return self._free.get_nowait()
        except queue.Empty:
            return None

    def give_back(self, pipeline: Pipeline) -> None:
        self._free.put(pipeline)

    @contextlib.contextmanager
    def checkout(self) -> Iterator[Pipeline]:
        pipeline = self._free.get()
        try:
            yield pipeline
        finally:
            self._free.put(pipeline)


def warm(pipeline: Pipeline) -> None:
    """Build every component a swap uses and run the detector once, so requests pay nothing."""
    pipeline.swapper  # noqa: B018 - builds it
    pipeline.swap_recognizer()
    if pipeline.needs_landmarks:
        pipeline.landmarker  # noqa: B018
    pipeline.detector.detect(np.zeros((64, 64, 3), dtype=np.uint8))


@attrs.frozen
class SwapOutcome:
    """An encoded swap result and what the response headers report."""

    data: bytes
    mime: str
    faces_found: int
    faces_swapped: int
    timings: dict[str, float]


def _swapper_name(pipeline: Pipeline) -> str:
    return str(pipeline.config.swapper.get("type"))


def check_model(pipeline: Pipeline, model: str | None) -> None:
    """The service runs the swapper it loaded; another name is a 422 saying how to get it."""
    loaded = _swapper_name(pipeline)
    if model is not None and model != loaded:
        raise ConfigError(
            f"model {model!r} is not loaded by this server (it serves {loaded!r}); start "
            f"faceswap serve with a config whose pipeline.swapper is {{type: {model}}}"
        )


MODEL_OPTIONS: tuple[str, ...] = ("enhancer", "occluder", "parser")
"""Request fields that name a model: a name the server knows, never a path on the server."""


class Service:
    """Pipelines, executors, the source cache and the job store of one worker process."""

    def __init__(self, settings: Settings, plugins: FaceswapPlugins | None = None) -> None:
        self.settings = settings
        self.serve = settings.serve
        self.limits = settings.serve.limits
        self.plugins = plugins or get_plugins()
        self.pipeline_config = settings.service_pipeline()
        # Checks every component's params now: a bad config fails before anything loads.
        self.probe = Pipeline(self.pipeline_config, self.plugins)
        threads = self.serve.threads or min(usable_cpus(), MAX_DEFAULT_THREADS)
        self.swaps = PipelinePool("swap", threads, self._new_pipeline)
        self.streams = PipelinePool("stream", self.serve.max_streams, self._new_pipeline)
        self.video = PipelinePool("video", self.serve.max_jobs, self._new_pipeline)
        self.swap_executor = ThreadPoolExecutor(threads, thread_name_prefix="faceswap-swap")
        self.stream_executor = ThreadPoolExecutor(
            max(self.serve.max_streams, 1), thread_name_prefix="faceswap-stream"
        )
        self.job_executor = ThreadPoolExecutor(
            max(self.serve.max_jobs, 1), thread_name_prefix="faceswap-job"
        )
        self.sources = SourceRegistry(self.limits.source_cache_size)
        self.jobs = JobStore(self.serve.jobs_dir, self.serve.job_ttl_s)
        self.metrics = Metrics()
        self.metrics.watch_jobs(self.jobs.counts)
        self.admission = Admission(
            self.limits.max_concurrent_swaps,
            self.limits.max_queued_swaps,
            self.limits.queue_timeout_s,
            self.limits.retry_after_s,
            self.metrics,
        )
        self.redact = service_redactor(settings)
        self.remote: RemoteJobs | None = None
        self.ready = False
        self.stopping = threading.Event()
        self.load_error: FaceswapError | None = None
        self.loaded_seconds: float | None = None

    def _new_pipeline(self) -> Pipeline:
        return Pipeline(self.pipeline_config, self.plugins)

    @property
    def model(self) -> str:
        return _swapper_name(self.probe)

    # -- lifecycle ---------------------------------------------------------------------

    def load(self) -> None:
        """Load every pool's models (in a thread at startup); ``/readyz`` turns ready after."""
        started = time.perf_counter()
        try:
            if self.serve.jobs.backend != "local":
                self.remote = RemoteJobs.connect(
                    self.serve.jobs, self.jobs, self.plugins, self.redact
                )
            recovered = self.jobs.recover(remote=self.remote is not None)
            if recovered:
                logger.warning("marked %d interrupted video job(s) as failed", recovered)
            pools = (
                (self.swaps, self.streams)
                if self.remote
                else (self.swaps, self.streams, self.video)
            )
            for pool in pools:  # a cluster's jobs build their own pipelines
                pool.load()
        except ModelFileError as exc:
            self.load_error = exc
            logger.error("models failed to load: %s", exc)
            return
        except Exception as exc:  # a config or component problem: the log has the details
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            self.load_error = LoadFailedError(
                f"models failed to load: {type(exc).__name__}: {text}; see the server log"
            )
            logger.exception("models failed to load")
            return
        self.loaded_seconds = round(time.perf_counter() - started, 3)
        self.ready = True

    def close(self) -> None:
        """Stop: running video jobs end at their next frame (marked interrupted), queued
        ones never start (the next start marks them interrupted)."""
        self.stopping.set()
        for executor in (self.swap_executor, self.stream_executor, self.job_executor):
            executor.shutdown(wait=False, cancel_futures=True)
        if self.remote is not None:
            self.remote.close()  # the cluster's jobs run on

    def require_ready(self) -> None:
        if self.load_error is not None:
            raise self.load_error
        if not self.ready:
            raise OverloadedError(
                "the models are still loading; retry shortly (GET /readyz says when)",
                self.limits.retry_after_s,
            )

    # -- admission ---------------------------------------------------------------------

    @property
    def inflight(self) -> int:
        """Swaps holding a slot (running, or waiting for a swap thread)."""
        return self.admission.running

    async def admit(self) -> Release:
        """Take a swap slot, waiting in the bounded queue if need be, or raise 503.

        Returns the function that gives the slot back (once). Call it only after
        the request's body is read, so a slow upload never holds a slot.
        """
        self.require_ready()
        return await self.admission.acquire()

    async def run_admitted(self, release: Release, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the swap executor; the slot is given back when ``fn`` really ends.

        A request past ``request_timeout_s`` is answered 503 at once, but its slot
        stays taken until the thread finishes, so the bound stays honest.
        """
        try:
            future: Future[T] = self.swap_executor.submit(fn)
        except BaseException:
            release()
            raise
        future.add_done_callback(lambda _: release())
        try:
            return await asyncio.wait_for(
                asyncio.wrap_future(future), timeout=self.limits.request_timeout_s
            )
        except TimeoutError:
            future.cancel()
            raise RequestTimeoutError(
                f"the request took longer than {self.limits.request_timeout_s:g} s "
                "(request_timeout_s); retry later or send a smaller image",
                self.limits.retry_after_s,
            ) from None

    # -- work (runs in executor threads) -----------------------------------------------

    def _max_bytes(self) -> int:
        return self.pipeline_config.limits.max_bytes

    def check_image(self, data: bytes, name: str) -> None:
        check_format(data, name, self.limits.formats, self._max_bytes())

    def request_quality(self, options: SwapSpec | VideoSpec | QualityOptions) -> QualityOptions:
        """A request's quality options (``mask``, ``enhancer``...), checked before it waits.

        A model is named as the server knows it (an enhancer component or a model
        in its store, ``faceswap models list``): a request never names a file on
        the server. Unknown names and masks fail here (422), before any slot.
        """
        quality = QualityOptions.of(options)
        models = self.probe.context.models
        enhancers = self.plugins.registry(ENHANCER)
        for name in MODEL_OPTIONS:
            value = getattr(quality, name)
            if value is None or (name == "enhancer" and value == ENHANCER_OFF):
                continue
            if not (models.knows(value) or (name == "enhancer" and value in enhancers)):
                raise ConfigError(
                    f"{name}: {value[:64]!r} is not a model this server knows; a request names "
                    "a model (faceswap models list on the server), never a file path"
                )
        self.probe.with_config(quality.apply(self.pipeline_config))
        return quality

    @staticmethod
    def _for_request(pipeline: Pipeline, options: SwapSpec | VideoSpec) -> Pipeline:
        """A pooled pipeline with the request's quality settings (sharing its loaded models)."""
        return pipeline.with_config(QualityOptions.of(options).apply(pipeline.config))

    def register_source(self, data: bytes) -> SourceIdentity:
        self.check_image(data, "source")
        with self.swaps.checkout() as pipeline:
            return pipeline.prepare_source(data)

    def swap(
        self,
        target: bytes,
        source: bytes | SourceIdentity,
        options: SwapSpec,
        reference: bytes | None = None,
    ) -> SwapOutcome:
        fmt = options.format or DEFAULT_IMAGE_FORMAT
        self.check_image(target, "target")
        if isinstance(source, bytes):
            self.check_image(source, "source")
        if reference is not None:
            self.check_image(reference, "reference")
        with self.swaps.checkout() as pooled:
            check_model(pooled, options.model)
            pipeline = self._for_request(pooled, options)
            timer = StageTimer()
            with timer.stage("decode"):
                frame = pipeline.decode(target, name="target")
            result = pipeline.swap(
                frame,
                source,
                faces=options.faces,
                reference=reference,
                threshold=options.threshold,
                require_face=options.require_face,
            )
            timings = {"decode": timer.ms["decode"], **result.timings}
            changed = bool(result.swapped)
            with timer.stage("encode"):
                mark = pipeline.config.provenance and changed
                data = encode(
                    result.image,
                    fmt,
                    quality=95 if options.quality is None else options.quality,
                    provenance=pipeline.mark(target=target, source=source) if mark else False,
                )
            timings["encode"] = timer.ms["encode"]
        self.metrics.faces_swapped.inc(len(result.swapped))
        return SwapOutcome(
            data,
            OUTPUT_FORMATS[fmt].mime,
            len(result.faces),
            len(result.swapped),
            {key: round(value, 3) for key, value in timings.items()},
        )

    def check_video(self, path: Path) -> dict[str, Any]:
        """Probe an uploaded video against the limits before it is queued (413 when over)."""
        info = probe_video(path, max_pixels=self.pipeline_config.limits.max_pixels)
        if info.duration is not None and info.duration > self.limits.max_video_seconds:
            raise VideoTooLargeError(
                f"cannot use video: {info.duration:.1f} s is over the limit of "
                f"{self.limits.max_video_seconds:g} s (max_video_seconds); trim it "
                "(start/end) or split it"
            )
        return info.to_dict()

    def job(self, job_id: str) -> JobRecord:
        """A job's record, brought up to date from the cluster when it runs there."""
        record = self.jobs.read(job_id)
        return record if self.remote is None else self.remote.refresh(record)

    def refresh_remote(self) -> int:
        """Bring every job running on the cluster up to date (the sweep's turn); how many ended."""
        if self.remote is None:
            return 0
        ended = 0
        for record in list(self.jobs.records()):
            if record.backend != "local" and record.status in ACTIVE:
                ended += self.remote.refresh(record).status not in ACTIVE
        return ended

    def start_job(
        self,
        record: JobRecord,
        video: Path,
        source: bytes | SourceIdentity,
        options: VideoSpec,
        reference: bytes | None,
    ) -> JobRecord:
        """Run the job: on the cluster (``serve.jobs.backend: ray``) or on a job thread here."""
        if self.remote is None:
            self.job_executor.submit(self.run_job, record.id, video, source, options, reference)
            return record
        check_model(self.probe, options.model)
        return self.remote.submit(
            record, video, source, options, reference, self.pipeline_config, self.plugins
        )

    def run_job(
        self,
        job_id: str,
        video: Path,
        source: bytes | SourceIdentity,
        options: VideoSpec,
        reference: bytes | None,
    ) -> None:
        """Run one video job to its end state; every outcome is written to ``job.json``.

        The job's inputs are deleted before its final state is written, so a client
        that sees the final state finds the folder clean.
        """
        store = self.jobs
        record = store.read(job_id)
        output = f"result.{options.format}"
        if store.cancel_requested(job_id):
            store.clear_inputs(job_id, keep=())
            store.write(record.evolve(status="cancelled", finished=time.time()))
            return
        store.write(record.evolve(status="running", started=time.time()))
        try:
            with self.video.checkout() as pooled:
                check_model(pooled, options.model)
                report = swap_video(
                    video,
                    source,
                    store.folder(job_id) / output,
                    pipeline=self._for_request(pooled, options),
                    faces=options.faces,
                    reference=reference,
                    threshold=options.threshold,
                    start=options.start,
                    end=options.end,
                    audio=options.audio,
                    progress=ProgressWriter(store, job_id, self.stopping.is_set),
                    **options.video_options(),
                )
        except JobInterruptedError:
            final = store.read(job_id).evolve(
                status="failed",
                finished=time.time(),
                error={
                    "code": "interrupted",
                    "message": "the service stopped while this job was running; submit it again",
                },
            )
            store.clear_inputs(job_id, keep=())
            store.write(final)
            return
        except JobCancelledError:
            final = store.read(job_id).evolve(status="cancelled", finished=time.time())
            store.clear_inputs(job_id, keep=())
            store.write(final)
            return
        except Exception as exc:
            kind = error_kind(exc)
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if disk_full(exc):
                logger.error("video job %s: no space left in jobs_dir: %s", job_id, exc)
                text = "no space left in the server's job folder; submit the job again later"
            elif not isinstance(exc, FaceswapError):
                logger.exception("video job %s failed", job_id)
                text = f"unexpected {type(exc).__name__}: {text}"
            failed = store.read(job_id).evolve(
                status="failed",
                finished=time.time(),
                error={"code": kind.code, "message": self.redact(text)},
            )
            store.clear_inputs(job_id, keep=())
            store.write(failed)
            return
        summary = report.to_dict()
        summary["input"] = "video"
        summary["output"] = output
        done = store.read(job_id).evolve(
            status="done",
            finished=time.time(),
            frames_done=report.frames_out,
            frames_total=report.frames_out,
            output=output,
            report=summary,
        )
        store.clear_inputs(job_id, keep=(output,))
        store.write(done)

    def disk_free(self) -> int:
        folder = Path(self.serve.jobs_dir)
        folder.mkdir(parents=True, exist_ok=True)
        return shutil.disk_usage(folder).free


def service_redactor(settings: Settings) -> Redactor:
    """The :class:`Redactor` of one service: its folders get labels, its token is a secret."""
    serve = settings.serve
    folders: dict[str | os.PathLike[str], str] = {
        Path.home(): "~",
        tempfile.gettempdir(): "<tmp>",
        sys.prefix: "<python>",
        default_root(): "<models>",
        serve.jobs_dir: "<jobs_dir>",
        serve.reports_dir: "<reports_dir>",
    }
    token = serve.resolved_token()
    return Redactor(folders, secrets=[token] if token else [], private=[serve.jobs_dir])


__all__ = ["PipelinePool", "Service", "SwapOutcome", "check_model", "service_redactor", "warm"]
