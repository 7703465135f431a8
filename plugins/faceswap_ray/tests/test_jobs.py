"""Video jobs as detached actors: progress, cancel, and a driver restart in between."""

from __future__ import annotations

import time
from pathlib import Path

import av
import ray

from faceswap_core.config.schema import PipelineConfig
from faceswap_core.io.read import read_file_bytes
from faceswap_core.pipeline.video import VideoTask, VideoWork
from faceswap_core.plugin.manager import get_plugins, loaded_distributions
from faceswap_ray.jobs import JobState, RayJobs
from faceswap_ray.runner import connect

from .test_video_eval import _clip


def _wait(jobs: RayJobs, job_id: str, timeout: float = 120) -> JobState:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = jobs.status(job_id)
        if state.status in ("done", "failed", "cancelled"):
            return state
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {jobs.status(job_id)} after {timeout} s")


def test_jobs_outlive_their_driver_and_cancel_between_frames(
    ray_head: dict[str, str], source_path: Path, tmp_path: Path
) -> None:
    clip = _clip(tmp_path / "clip.mp4")
    work = VideoWork(
        PipelineConfig(),
        read_file_bytes(source_path, "source", 1 << 26),
        {},
        loaded_distributions(get_plugins()),
    )

    def task(name: str) -> VideoTask:
        return VideoTask(read_file_bytes(clip, "video", 1 << 26), str(tmp_path / name))

    connect(address=ray_head["gcs"])
    jobs = RayJobs()
    assert jobs.submit("kept", work, task("kept.mp4")).status in ("queued", "running")
    jobs.submit("stopped", work, task("stopped.mp4"))
    assert jobs.cancel("stopped").status in ("queued", "running", "cancelled")
    assert {"kept", "stopped"} <= set(jobs.ids())

    ray.shutdown()  # the service restarts: its jobs live on in the cluster
    connect(address=ray_head["gcs"])
    jobs = RayJobs()
    done = _wait(jobs, "kept")
    assert done.status == "done", done
    assert done.done == done.total == 6
    assert done.report is not None
    assert done.report["output"] == str(tmp_path / "kept.mp4")
    output = tmp_path / "kept.mp4"
    output.write_bytes(jobs.result("kept"))
    with av.open(str(output)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 6
    assert _wait(jobs, "stopped").status == "cancelled"
    for job_id in ("kept", "stopped"):
        jobs.remove(job_id)
    assert jobs.status("kept").status == "unknown"
