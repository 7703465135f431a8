"""Video jobs: submit, progress, result, cancel, limits, TTL, and what a restart leaves."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from faceswap_core.io.video.probe import probe_video
from faceswap_rest.jobs import JOB_FILE, JobStore

from .conftest import decoded_frames, write_clip


def wait_for(client, job_id: str, statuses: tuple[str, ...], timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        record = client.get(f"/v1/jobs/{job_id}").json()
        if record.get("status") in statuses:
            return record
        assert time.monotonic() < deadline, record
        time.sleep(0.05)


def submit(client, clip: Path, faces, part: str = "target", **fields: str):
    with open(clip, "rb") as video:
        return client.post(
            "/v1/jobs/video",
            files={part: ("in.mp4", video), "source": ("s.png", faces["source"])},
            data=fields or None,
        )


def test_the_video_part_is_target_and_its_old_name_video_still_works(client, faces, clip) -> None:
    old = submit(client, clip, faces, part="video", detect_every="3")
    assert old.status_code == 202, old.text
    assert old.json()["options"]["detect_every"] == 3
    assert wait_for(client, old.json()["id"], ("done", "failed"))["status"] == "done"
    with open(clip, "rb") as video:
        both = client.post(
            "/v1/jobs/video",
            files={
                "target": ("in.mp4", video.read()),
                "video": ("in.mp4", b"x"),
                "source": ("s.png", faces["source"]),
            },
        )
    assert both.status_code == 422
    assert "video and target name the same thing" in both.json()["error"]["message"]


def test_a_job_runs_the_video_path_and_streams_its_result(client, openapi, faces, clip) -> None:
    response = submit(client, clip, faces, detect_every="2")
    openapi.check(response, "/v1/jobs/video", "post")
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    assert response.headers["location"] == f"/v1/jobs/{job_id}"
    done = wait_for(client, job_id, ("done", "failed"))
    openapi.check(client.get(f"/v1/jobs/{job_id}"), "/v1/jobs/{job_id}", "get")
    assert done["status"] == "done", done
    assert done["progress"] == {"frames": 12, "total": 12, "fraction": 1.0}
    report = done["report"]
    assert report["frames_out"] == 12
    assert report["frames_swapped"] >= 10
    assert report["provenance"]
    result = client.get(f"/v1/jobs/{job_id}/result")
    openapi.check(result, "/v1/jobs/{job_id}/result", "get")
    assert result.headers["content-type"] == "video/mp4"
    frames = decoded_frames(result.content)
    assert len(frames) == 12
    assert frames[0].shape == (224, 224, 3)
    folder = Path(client.app.state.service.jobs.folder(job_id))
    assert sorted(p.name for p in folder.iterdir()) == [JOB_FILE, "result.mp4"]  # inputs gone
    deleted = client.delete(f"/v1/jobs/{job_id}")
    openapi.check(deleted, "/v1/jobs/{job_id}", "delete")
    assert deleted.json() == {"id": job_id, "status": "deleted"}
    assert not folder.exists()
    assert client.get(f"/v1/jobs/{job_id}").status_code == 404


def test_job_errors(client, openapi, faces, clip, tmp_path) -> None:
    not_video = tmp_path / "x.mp4"
    not_video.write_bytes(b"not a video" * 100)
    bad = submit(client, not_video, faces)
    openapi.check(bad, "/v1/jobs/video", "post")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_video"
    with open(clip, "rb") as video:
        no_face = client.post(
            "/v1/jobs/video",
            files={"video": ("in.mp4", video), "source": ("s.png", faces["noface"])},
        )
    record = wait_for(client, no_face.json()["id"], ("failed",))
    assert record["error"]["code"] == "no_face"
    unknown = submit(client, clip, faces, smooth="wobbly")
    assert unknown.status_code == 422
    assert client.get("/v1/jobs/job_AAAAAAAAAAAAAAAA").status_code == 404
    traversal = client.get("/v1/jobs/..%2f..%2fetc")
    assert traversal.status_code == 404
    not_done = client.get(f"/v1/jobs/{no_face.json()['id']}/result")
    openapi.check(not_done, "/v1/jobs/{job_id}/result", "get")
    assert not_done.status_code == 409
    assert not_done.json()["error"]["code"] == "conflict"


def test_video_limits(make_client, faces, clip) -> None:
    from faceswap_rest.config import ServeLimits

    client = make_client(max_jobs=1, limits=ServeLimits(max_video_seconds=0.5))
    too_long = submit(client, clip, faces)  # 1.2 s of video
    assert too_long.status_code == 413
    assert "max_video_seconds" in too_long.json()["error"]["message"]
    assert list(Path(client.app.state.service.jobs.root).iterdir()) == []  # nothing kept
    client = make_client(max_jobs=1, limits=ServeLimits(max_video_bytes=4096))
    too_big = submit(client, clip, faces)
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "body_too_large"
    assert "max_video_bytes" in too_big.json()["error"]["message"]


def test_delete_cancels_running_and_queued_jobs(make_client, faces, tmp_path) -> None:
    long_clip = write_clip(tmp_path / "long.mp4", frames=150)
    client = make_client(max_jobs=1)
    running = submit(client, long_clip, faces).json()["id"]
    queued = submit(client, long_clip, faces).json()["id"]
    wait_for(client, running, ("running",))
    assert client.get(f"/v1/jobs/{queued}").json()["status"] == "queued"
    for job_id in (queued, running):
        cancel = client.delete(f"/v1/jobs/{job_id}")
        assert cancel.status_code == 202
        assert cancel.json()["status"] == "cancelling"
    for job_id in (running, queued):
        record = wait_for(client, job_id, ("cancelled", "done", "failed"))
        assert record["status"] == "cancelled"
        folder = Path(client.app.state.service.jobs.folder(job_id))
        assert [p.name for p in folder.iterdir() if p.name != "cancel"] == [JOB_FILE]
    assert probe_video(long_clip).frames == 150  # the input was never touched


def test_expired_jobs_are_swept_and_unreadable(tmp_path) -> None:
    store = JobStore(tmp_path, ttl=10.0)
    old = store.create({})
    store.write(store.read(old.id).evolve(status="done", finished=1000.0))
    fresh = store.create({})
    store.write(store.read(fresh.id).evolve(status="done", finished=time.time()))
    active = store.create({})
    assert store.sweep(now=time.time()) == 1
    assert {r.id for r in store.records()} == {fresh.id, active.id}
    store.write(store.read(fresh.id).evolve(finished=time.time() - 11))
    with pytest.raises(LookupError, match="expired"):
        store.read(fresh.id)
    assert not (tmp_path / fresh.id).exists()


def test_a_restart_fails_jobs_whose_process_is_gone(tmp_path) -> None:
    store = JobStore(tmp_path, ttl=3600.0)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    orphan = store.create({})
    store.write(store.read(orphan.id).evolve(status="running", owner_pid=int(dead.stdout)))
    (tmp_path / orphan.id / "input.mp4").write_bytes(b"partial")
    mine = store.create({})  # owned by this live process: left alone
    finished = store.create({})
    store.write(store.read(finished.id).evolve(status="done", finished=time.time()))
    assert store.recover() == 1
    record = store.read(orphan.id)
    assert record.status == "failed"
    assert record.error["code"] == "interrupted"
    assert os.listdir(tmp_path / orphan.id) == [JOB_FILE]
    assert store.read(mine.id).status == "queued"
    assert store.read(finished.id).status == "done"
    assert json.loads((tmp_path / finished.id / JOB_FILE).read_text())["status"] == "done"


def test_a_job_running_when_the_service_stops_is_marked_interrupted(
    make_client, faces, tmp_path
) -> None:
    long_clip = write_clip(tmp_path / "long.mp4", frames=150)
    client = make_client(max_jobs=1)
    job_id = submit(client, long_clip, faces).json()["id"]
    wait_for(client, job_id, ("running",))
    client.app.state.service.stopping.set()  # what shutdown does first
    record = wait_for(client, job_id, ("failed", "done", "cancelled"))
    assert record["status"] == "failed"
    assert record["error"]["code"] == "interrupted"
    assert "submit it again" in record["error"]["message"]
    folder = Path(client.app.state.service.jobs.folder(job_id))
    assert [p.name for p in folder.iterdir()] == [JOB_FILE]  # no partial result left


def test_job_errors_name_the_upload_not_the_server_path(make_client, faces, clip) -> None:
    client = make_client(max_jobs=1)
    jobs_dir = str(client.app.state.service.jobs.root)
    late = submit(client, clip, faces, start="50")  # the clip is 1.2 s long
    assert late.status_code == 202
    record = wait_for(client, late.json()["id"], ("failed", "done"))
    assert record["error"] == {
        "code": "invalid_video",
        "message": "cannot decode video 'input.mp4': no frame could be decoded in the chosen "
        "--start/--end range",
    }
    job_file = Path(jobs_dir) / late.json()["id"] / JOB_FILE
    assert jobs_dir not in job_file.read_text()  # nor in the record on disk
    garbage = clip.parent / "garbage.mp4"
    garbage.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 5000)
    bad = submit(client, garbage, faces)
    assert bad.status_code == 400
    assert "'input.mp4'" in bad.json()["error"]["message"]
    assert jobs_dir not in bad.text


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A real tmpfs of ``size`` mounted at ``folder`` (needs root: CAP_SYS_ADMIN)."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): {mounted.stderr}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_jobs_dir_is_507_and_keeps_nothing(make_client, faces, clip, tmp_path) -> None:
    with tmpfs(tmp_path / "jobs", "1m") as jobs:
        client = make_client(max_jobs=1, jobs_dir=str(jobs))
        big = tmp_path / "big.mp4"
        big.write_bytes(os.urandom(1536 * 1024))  # more than the disk holds
        response = submit(client, big, faces)
        assert response.status_code == 507, response.text
        error = response.json()["error"]
        assert error["code"] == "insufficient_storage"
        assert "no space left" in error["message"]
        assert str(jobs) not in response.text
        assert os.listdir(jobs) == []  # no job folder left behind
        with open(jobs / "filler", "wb", buffering=0) as filler, contextlib.suppress(OSError):
            while True:  # now fill it to the last byte
                filler.write(b"\0" * 65536)
        full = submit(client, clip, faces)
        assert full.status_code == 507, full.text
        assert os.listdir(jobs) == ["filler"]  # job.json could not be written: folder removed
        metrics = client.get("/metrics").text
        assert 'route="/v1/jobs/video",status="507"} 2.0' in metrics
        assert 'status="500"' not in metrics
