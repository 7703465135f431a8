"""Video jobs on a cluster (``serve.jobs.backend: ray``): the job folder mirrors the cluster.

The service still owns each job's folder and ``job.json`` (so ``GET
/v1/jobs/{id}``, the result route, ``DELETE`` and the TTL read the same
records as with the local backend), but the job runs as a detached job of
the cluster's runner (faceswap-ray's job actors, through core's
:class:`~faceswap_core.interfaces.jobs.DetachedJobs`), not in the web
worker. Whenever a record is read, an active one is brought up to date from
the cluster: progress while it runs; when it is done, the output's bytes are
written into the job folder (atomically) and the cluster forgets the job.

A restarted service (or another uvicorn worker) finds the jobs again by
their ids, because the cluster keeps them, not the process that submitted
them; a job the cluster no longer has (its head restarted) is failed with
``interrupted``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import ConfigError, error_named
from faceswap_core.interfaces.jobs import DetachedJobs, JobsRunner, JobState
from faceswap_core.io.atomic import atomic_write_bytes
from faceswap_core.io.read import read_file_bytes
from faceswap_core.operations.video import VideoSpec
from faceswap_core.pipeline.image import SourceIdentity
from faceswap_core.pipeline.runner import cluster_runner
from faceswap_core.pipeline.video import VideoTask, VideoWork
from faceswap_core.plugin.manager import FaceswapPlugins, loaded_distributions
from faceswap_rest.config import ServeJobs
from faceswap_rest.errors import error_kind
from faceswap_rest.jobs import ACTIVE, JobRecord, JobStore

REMOTE = "ray"
"""The ``backend`` a remote job's record names."""


def output_name(record: JobRecord) -> str:
    """The result's file name in the job folder (``result.mp4``), as the local backend names it."""
    return f"result.{record.options.get('format') or 'mp4'}"


class RemoteJobs:
    """Submit, follow and collect a service's video jobs on a cluster."""

    def __init__(
        self,
        store: JobStore,
        jobs: DetachedJobs,
        runner: Any = None,
        redact: Callable[[str], str] = str,
    ) -> None:
        self.store = store
        self.jobs = jobs
        self.runner = runner
        self.redact = redact

    @classmethod
    def connect(
        cls,
        settings: ServeJobs,
        store: JobStore,
        plugins: FaceswapPlugins,
        redact: Callable[[str], str] = str,
    ) -> RemoteJobs:
        """Join the cluster of ``serve.jobs`` (exit 7 / a load error when it does not answer)."""
        runner = cluster_runner(
            settings.address, gpus_per_worker=settings.gpus_per_job, plugins=plugins
        )
        if not isinstance(runner, JobsRunner):
            runner.close()
            raise ConfigError(
                f"serve.jobs.backend {settings.backend!r}: its runner keeps no detached jobs"
            )
        return cls(store, runner.jobs(), runner, redact)

    def submit(
        self,
        record: JobRecord,
        video: Path,
        source: bytes | SourceIdentity,
        options: VideoSpec,
        reference: bytes | None,
        pipeline: PipelineConfig,
        plugins: FaceswapPlugins,
    ) -> JobRecord:
        """Ship the job to the cluster; the uploaded video leaves the job folder."""
        keywords: dict[str, Any] = {
            "faces": options.faces,
            "reference": reference,
            "threshold": options.threshold,
            "start": options.start,
            "end": options.end,
            "audio": options.audio,
            **options.video_options(),
        }
        work = VideoWork(pipeline, source, keywords, loaded_distributions(plugins))
        task = VideoTask(
            read_file_bytes(video, "video", 1 << 40, kind="a video file"),
            str(self.store.folder(record.id) / output_name(record)),
        )
        state = self.jobs.submit(record.id, work, task)
        running = record.evolve(
            status=state.status if state.status in ACTIVE else "queued",
            started=time.time(),
            backend=REMOTE,
        )
        self.store.write(running)
        self.store.clear_inputs(record.id, keep=())
        return running

    def refresh(self, record: JobRecord) -> JobRecord:
        """``record`` brought up to date from the cluster (a final state is written once)."""
        if record.backend != REMOTE or record.status not in ACTIVE:
            return record
        state = self.jobs.status(record.id)
        if state.status in ACTIVE:
            current = record.evolve(
                status=state.status,
                frames_done=state.done,
                frames_total=state.total if state.total is not None else record.frames_total,
            )
            if current != record:
                self.store.write(current)
            return current
        latest = self.store.read(record.id)  # another worker may have collected it already
        if latest.status not in ACTIVE:
            return latest
        final = self._final(latest, state)
        self.store.write(final)
        with contextlib.suppress(Exception):
            self.jobs.remove(record.id)
        return final

    def _final(self, record: JobRecord, state: JobState) -> JobRecord:
        now = time.time()
        if state.status == "done":
            output = output_name(record)
            atomic_write_bytes(
                self.store.folder(record.id) / output, self.jobs.result(record.id), replace=True
            )
            report = dict(state.report or {})
            report.update(input="video", output=output)
            frames = int(report.get("frames_out") or state.done)
            return record.evolve(
                status="done",
                finished=now,
                frames_done=frames,
                frames_total=frames,
                output=output,
                report=report,
            )
        if state.status == "cancelled":
            return record.evolve(status="cancelled", finished=now)
        if state.status == "unknown":
            error = {
                "code": "interrupted",
                "message": "the cluster no longer has this job (its head restarted?); "
                "submit it again",
            }
        else:
            failure = error_named(state.error_type, state.error or "failed", state.exit_code)
            error = {"code": error_kind(failure).code, "message": self.redact(str(failure))}
        return record.evolve(status="failed", finished=now, error=error)

    def cancel(self, record: JobRecord) -> None:
        """Ask the cluster to stop the job at its next frame."""
        self.jobs.cancel(record.id)

    def close(self) -> None:
        """Leave the cluster (its jobs keep running)."""
        if self.runner is not None:
            self.runner.close()


__all__ = ["REMOTE", "RemoteJobs", "output_name"]
