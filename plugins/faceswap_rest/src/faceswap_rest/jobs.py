"""Video jobs: a folder per job, its state in ``job.json``, run by ``faceswap video``'s code path.

Each job lives in ``<jobs_dir>/<job id>/``: the uploaded video while it runs,
the result when it is done, and ``job.json`` (written atomically) with its
status, progress, error or report. The state is on disk, not in one process's
memory, so with several uvicorn workers any of them answers for any job, and a
``DELETE`` reaching another worker still cancels (it leaves a ``cancel`` marker
that the running job checks after every frame).

What survives a restart, by design (``serve.jobs.backend: local``; with
``ray`` the jobs run on the cluster and a restarted service finds them
again, see :mod:`faceswap_rest.remote_jobs`):

- finished jobs (``done``, ``failed``, ``cancelled``) and their results, until
  their TTL (``serve.job_ttl_s``) runs out;
- a job that was ``queued`` or ``running`` in a process that is gone is marked
  ``failed`` ("interrupted") when the service starts again: it is never resumed
  half-way, and its inputs are deleted. Submit it again.

Expired jobs are deleted by a sweep that runs while the service is up.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

from faceswap_core.io.atomic import atomic_write_json
from faceswap_rest.errors import ConflictError, NotFoundError, shorten

STATUSES: tuple[str, ...] = ("queued", "running", "done", "failed", "cancelled")
ACTIVE: tuple[str, ...] = ("queued", "running")
JOB_FILE = "job.json"
CANCEL_MARKER = "cancel"
_JOB_ID = re.compile(r"^job_[A-Za-z0-9_-]{16}$")
PROGRESS_EVERY_S = 0.5
"""Least seconds between two progress writes of a running job."""


class JobCancelledError(Exception):
    """Raised inside a running job when its cancel marker appears; the output is discarded."""


class JobInterruptedError(Exception):
    """Raised inside a running job when the service stops; the job is marked interrupted."""


@attrs.frozen
class JobRecord:
    """What ``GET /v1/jobs/{id}`` returns (``job.json``)."""

    id: str
    status: str
    created: float
    options: dict[str, Any] = attrs.field(factory=dict)
    started: float | None = None
    finished: float | None = None
    frames_done: int = 0
    frames_total: int | None = None
    output: str | None = None
    report: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    owner_pid: int | None = None
    backend: str = "local"

    def to_dict(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        total = self.frames_total
        done = self.frames_done
        fraction = 1.0 if self.status == "done" else (min(done / total, 1.0) if total else None)
        data["progress"] = {
            "frames": done,
            "total": total,
            "fraction": None if fraction is None else round(fraction, 4),
        }
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobRecord:
        names = {field.name for field in attrs.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})

    def evolve(self, **changes: Any) -> JobRecord:
        return attrs.evolve(self, **changes)


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobStore:
    """The job folder: create, read, update, cancel, delete and expire jobs."""

    def __init__(self, root: str | Path, ttl: float) -> None:
        self.root = Path(root)
        self.ttl = ttl

    def folder(self, job_id: str) -> Path:
        if not _JOB_ID.match(job_id):
            raise NotFoundError(f"unknown job {shorten(job_id)}")
        return self.root / job_id

    def create(self, options: dict[str, Any]) -> JobRecord:
        """A new queued job and its folder; nothing is left behind when that fails (disk full)."""
        self.root.mkdir(parents=True, exist_ok=True)
        job_id = "job_" + secrets.token_urlsafe(12)
        folder = self.root / job_id
        folder.mkdir()
        record = JobRecord(job_id, "queued", time.time(), options=options, owner_pid=os.getpid())
        try:
            self.write(record)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return record

    def write(self, record: JobRecord) -> None:
        atomic_write_json(self.folder(record.id) / JOB_FILE, attrs.asdict(record))

    def read(self, job_id: str) -> JobRecord:
        file = self.folder(job_id) / JOB_FILE
        try:
            record = JobRecord.from_dict(json.loads(file.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise NotFoundError(
                f"unknown job {job_id!r} (never created, deleted, or expired after {self.ttl:g} s)"
            ) from None
        except (OSError, ValueError, TypeError) as exc:
            raise NotFoundError(f"job {job_id!r} cannot be read: {exc}") from None
        if self.expired(record):
            self.remove(job_id)
            raise NotFoundError(f"job {job_id!r} expired after {self.ttl:g} s and was deleted")
        return record

    def expired(self, record: JobRecord, now: float | None = None) -> bool:
        if record.status in ACTIVE or record.finished is None:
            return False
        return (now if now is not None else time.time()) > record.finished + self.ttl

    def records(self) -> Iterator[JobRecord]:
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if not _JOB_ID.match(folder.name):
                continue
            with contextlib.suppress(OSError, ValueError, TypeError):
                data = json.loads((folder / JOB_FILE).read_text(encoding="utf-8"))
                yield JobRecord.from_dict(data)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for record in self.records():
            if record.status in counts:
                counts[record.status] += 1
        return counts

    def active(self) -> int:
        counts = self.counts()
        return sum(counts[status] for status in ACTIVE)

    def request_cancel(self, job_id: str) -> None:
        (self.folder(job_id) / CANCEL_MARKER).touch()

    def cancel_requested(self, job_id: str) -> bool:
        return (self.folder(job_id) / CANCEL_MARKER).exists()

    def remove(self, job_id: str) -> None:
        shutil.rmtree(self.folder(job_id), ignore_errors=True)

    def clear_inputs(self, job_id: str, keep: tuple[str, ...]) -> None:
        """Delete everything in the job's folder but ``job.json`` and ``keep``."""
        for path in self.folder(job_id).iterdir():
            if path.name not in (JOB_FILE, *keep):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)

    def result_path(self, job_id: str) -> Path:
        record = self.read(job_id)
        if record.status != "done" or record.output is None:
            where = f" ({record.frames_done} frames done)" if record.status == "running" else ""
            raise ConflictError(
                f"job {job_id!r} is {record.status}{where}; its result exists only when the "
                "status is done (poll GET /v1/jobs/{id})"
            )
        path = self.folder(job_id) / record.output
        if not path.is_file():
            raise NotFoundError(f"the result of job {job_id!r} is gone; submit the job again")
        return path

    def sweep(self, now: float | None = None) -> int:
        """Delete jobs whose TTL ran out; returns how many."""
        removed = 0
        for record in list(self.records()):
            if self.expired(record, now):
                self.remove(record.id)
                removed += 1
        return removed

    def recover(self, *, remote: bool = False) -> int:
        """Mark jobs left queued or running by a process that is gone as failed (interrupted).

        :param remote: the service runs jobs on a cluster: jobs that run there
            (``backend: ray``) live on without the process and are kept.
        """
        marked = 0
        for record in list(self.records()):
            if remote and record.backend != "local":
                continue
            if record.status in ACTIVE and not _alive(record.owner_pid):
                with contextlib.suppress(OSError):  # inputs first: "failed" means clean
                    self.clear_inputs(record.id, keep=())
                self.write(
                    record.evolve(
                        status="failed",
                        finished=time.time(),
                        error={
                            "code": "interrupted",
                            "message": "the service stopped while this job was "
                            f"{record.status}; submit it again",
                        },
                    )
                )
                marked += 1
        return marked


class ProgressWriter:
    """The progress callback of a running job: records frames done, honours cancellation."""

    def __init__(
        self, store: JobStore, job_id: str, stopping: Callable[[], bool] = lambda: False
    ) -> None:
        self.store = store
        self.job_id = job_id
        self.stopping = stopping
        self._last = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        if self.store.cancel_requested(self.job_id):
            raise JobCancelledError(self.job_id)
        if self.stopping():
            raise JobInterruptedError(self.job_id)
        now = time.monotonic()
        if now - self._last >= PROGRESS_EVERY_S:
            self._last = now
            record = self.store.read(self.job_id)
            self.store.write(record.evolve(frames_done=done, frames_total=total))


__all__ = [
    "ACTIVE",
    "STATUSES",
    "JobCancelledError",
    "JobInterruptedError",
    "JobRecord",
    "JobStore",
    "ProgressWriter",
]
