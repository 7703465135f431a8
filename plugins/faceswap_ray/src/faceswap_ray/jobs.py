"""Long video jobs on Ray that outlive the process that submitted them (the REST service's).

Each job is a named, detached actor (``faceswap-job-<id>`` in the
``faceswap`` namespace): it owns its state (queued, running, done, failed,
cancelled), its progress in frames, and when done the output's bytes. A
restarted service finds its jobs again by name (:meth:`RayJobs.status`,
:meth:`RayJobs.ids`) because Ray's GCS keeps the actors, not the service. The
service writes the output (:meth:`RayJobs.result`) atomically where its job
folder says, then :meth:`RayJobs.remove` frees the actor (its TTL sweep).

A job actor does not restart: a node that dies fails its job with that
reason, and the service may submit it again.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from typing import Any, Literal

import attrs
import ray

from faceswap_core.errors import ConfigError, FaceswapError
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.pipeline.video import VideoRecord, VideoTask, VideoWork, run_video_task
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_ray.config import DEFAULT_NAMESPACE, RayRunnerConfig
from faceswap_ray.versions import Versions, check_versions, installed_plugins, versions_of

JobStatus = Literal["queued", "running", "done", "failed", "cancelled", "unknown"]

PREFIX = "faceswap-job-"
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@attrs.frozen
class JobState:
    """What a job reports: its status, frames done of ``total``, and why it failed."""

    job_id: str
    status: JobStatus
    done: int = 0
    total: int | None = None
    error: str | None = None
    exit_code: int = 0
    report: Mapping[str, Any] | None = None
    error_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


class _CancelledError(Exception):
    """Raised from the progress callback to stop a cancelled job between frames."""


class _VideoJob:
    """The actor behind one job; threaded, so status and cancel answer while it runs."""

    def __init__(self, job_id: str, work: VideoWork, task: VideoTask, expected: Versions) -> None:
        self.job_id = job_id
        self.work, self.task, self.expected = work, task, expected
        self.lock = threading.Lock()
        self.state = JobState(job_id, "queued")
        self.cancelled = threading.Event()
        self.data: bytes | None = None

    def _set(self, **changes: Any) -> None:
        with self.lock:
            self.state = attrs.evolve(self.state, **changes)

    def run(self) -> None:
        if self.cancelled.is_set():
            self._set(status="cancelled")
            return
        self._set(status="running")

        def progress(done: int, total: int | None) -> None:
            if self.cancelled.is_set():
                raise _CancelledError
            self._set(done=done, total=total)

        try:
            check_versions(self.expected)
            pipeline = Pipeline(self.work.pipeline, FaceswapPlugins(only=self.work.plugins))
            identity = pipeline.prepare_source(self.work.source)
            options = {**self.work.options, "progress": progress}
            record: VideoRecord = run_video_task(pipeline, identity, self.task, options)
        except _CancelledError:
            self._set(status="cancelled")
            return
        except FaceswapError as exc:
            self._set(
                status="failed",
                error=str(exc),
                exit_code=exc.exit_code,
                error_type=type(exc).__name__,
            )
            return
        except Exception as exc:  # a bug must still end the job with a reason
            self._set(status="failed", error=f"{type(exc).__name__}: {exc}", exit_code=1)
            return
        if record.status == "failed":
            self._set(
                status="failed",
                error=record.error,
                exit_code=record.exit_code,
                error_type=record.error_type,
            )
            return
        self.data = record.data
        report = None if record.report is None else record.report.to_dict()
        self._set(status="done", report=report)

    def get_state(self) -> JobState:
        with self.lock:
            return self.state

    def cancel(self) -> None:
        self.cancelled.set()

    def output(self) -> bytes | None:
        return self.data


def check_job_id(job_id: str) -> str:
    if not isinstance(job_id, str) or not _JOB_ID.match(job_id):
        raise ConfigError(f"job id {job_id!r} must be 1-64 letters, digits, '-' or '_'")
    return job_id


class RayJobs:
    """Submit, follow, cancel and collect video jobs on the connected Ray cluster.

    Connect first (:func:`faceswap_ray.runner.connect`); ``config`` gives each
    job's resources (``cpus_per_worker``, ``gpus_per_worker``, ``runtime_env``).
    """

    def __init__(self, config: RayRunnerConfig | None = None) -> None:
        self.config = config or RayRunnerConfig()
        self.namespace = self.config.namespace or DEFAULT_NAMESPACE

    def _actor(self, job_id: str) -> Any | None:
        try:
            return ray.get_actor(PREFIX + check_job_id(job_id), namespace=self.namespace)
        except ValueError:
            return None

    def submit(self, job_id: str, work: VideoWork, task: VideoTask) -> JobState:
        """Start a job; an id already in use is a :class:`ConfigError`."""
        if self._actor(job_id) is not None:
            raise ConfigError(f"job {job_id!r} exists on the cluster; choose another id")
        expected = versions_of(work.plugins if work.plugins is not None else installed_plugins())
        env = self.config.runtime_env
        actor_class: Any = ray.remote(_VideoJob)
        actor = actor_class.options(
            name=PREFIX + job_id,
            namespace=self.namespace,
            lifetime="detached",
            max_restarts=0,
            max_concurrency=4,
            num_cpus=self.config.cpus_per_worker,
            num_gpus=self.config.gpus_per_worker,
            **({} if env is None else {"runtime_env": dict(env)}),
        ).remote(job_id, work, task, expected)
        actor.run.remote()
        state: JobState = ray.get(actor.get_state.remote())
        return state

    def status(self, job_id: str) -> JobState:
        """The job's state; ``unknown`` for an id the cluster does not have (removed, or never)."""
        actor = self._actor(job_id)
        if actor is None:
            return JobState(job_id, "unknown")
        try:
            state: JobState = ray.get(actor.get_state.remote())
        except ray.exceptions.RayActorError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "its worker died"
            return JobState(job_id, "failed", error=f"the job's worker died: {reason}", exit_code=1)
        return state

    def cancel(self, job_id: str) -> JobState:
        """Ask a job to stop at its next frame; returns its state now."""
        actor = self._actor(job_id)
        if actor is not None:
            ray.get(actor.cancel.remote())
        return self.status(job_id)

    def result(self, job_id: str) -> bytes:
        """The finished job's output bytes (the caller writes them, atomically)."""
        actor = self._actor(job_id)
        data = None if actor is None else ray.get(actor.output.remote())
        if data is None:
            raise ConfigError(f"job {job_id!r} has no output: {self.status(job_id).status}")
        result: bytes = data
        return result

    def remove(self, job_id: str) -> None:
        """Free a job's actor (and its output); an unknown id is ignored."""
        actor = self._actor(job_id)
        if actor is None:
            return
        ray.kill(actor)
        deadline = time.monotonic() + 30
        while self._actor(job_id) is not None and time.monotonic() < deadline:
            time.sleep(0.05)  # the name is free once the actor is gone

    def ids(self) -> list[str]:
        """Ids of every job the cluster holds in this namespace."""
        names = ray.util.list_named_actors(all_namespaces=True)
        return sorted(
            entry["name"][len(PREFIX) :]
            for entry in names
            if entry.get("namespace") == self.namespace and entry["name"].startswith(PREFIX)
        )


__all__ = ["PREFIX", "JobState", "JobStatus", "RayJobs", "check_job_id"]
