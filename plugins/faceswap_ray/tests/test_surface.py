"""``--cluster`` on the command line, ``cluster=`` in Python, ``serve.jobs.backend: ray``
and ``faceswap bench --cluster``, against the session's real Ray head."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

import faceswap
from faceswap_core.cli.main import make_cli
from faceswap_core.errors import ConfigError
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins, set_plugins
from faceswap_rest.app import create_app
from faceswap_rest.config import ServeConfig, ServeJobs, Settings

from .conftest import free_port
from .test_video_eval import _clip, _frames


def cli(*args: str | Path, plugins: FaceswapPlugins | None = None) -> Result:
    return CliRunner().invoke(make_cli(plugins or get_plugins()), [str(a) for a in args])


def _pixels(folder: Path) -> dict[str, np.ndarray]:
    return {path.name: cv2.imread(str(path)) for path in sorted(folder.iterdir())}


def _json_lines(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_swap_on_the_cluster_writes_the_local_files_lines_and_exit_code(
    ray_head: dict[str, str], faces_dir: Path, source_path: Path, tmp_path: Path
) -> None:
    common = ["swap", "-s", source_path, "-t", faces_dir, "--json"]
    local = cli(*common, "-o", tmp_path / "local")
    cluster = cli(*common, "-o", tmp_path / "ray", "--cluster", ray_head["gcs"], "--workers", "2")
    assert local.exit_code == cluster.exit_code == 3, cluster.output  # broken.jpg, as locally
    here, there = _pixels(tmp_path / "local"), _pixels(tmp_path / "ray")
    assert sorted(here) == sorted(there) == [f"face{i}.png" for i in range(4)]
    for name in here:
        assert np.array_equal(here[name], there[name]), name

    def comparable(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in line.items() if k not in ("output", "timings_ms")} for line in lines
        ]

    assert comparable(_json_lines(local)) == comparable(_json_lines(cluster))
    assert _json_lines(cluster)[-1]["summary"]["retries"] == 0


def test_python_swap_with_cluster_gives_the_local_pixels(
    ray_head: dict[str, str], faces_dir: Path, source_path: Path
) -> None:
    target = faces_dir / "face0.jpg"
    here = faceswap.swap(target, source_path)
    there = faceswap.swap(target, source_path, cluster=ray_head["gcs"], workers=1)
    assert there.shape == here.shape
    assert np.array_equal(there, here)
    assert not np.array_equal(here, cv2.cvtColor(cv2.imread(str(target)), cv2.COLOR_BGR2RGB))
    with pytest.raises(ConfigError, match="workers needs cluster"):
        faceswap.swap(target, source_path, workers=2)


def test_video_on_the_cluster_is_the_local_video(
    ray_head: dict[str, str], source_path: Path, tmp_path: Path
) -> None:
    clip = _clip(tmp_path / "clip.mp4")
    local = cli("video", "-t", clip, "-s", source_path, "-o", tmp_path / "local.mp4", "--json")
    remote = cli(
        "video", "-t", clip, "-s", source_path, "-o", tmp_path / "ray.mp4", "--json",
        "--cluster", ray_head["gcs"], "--progress",
    )  # fmt: skip
    assert local.exit_code == remote.exit_code == 0, remote.output
    assert _json_lines(remote)[-1]["summary"] == _json_lines(local)[-1]["summary"]
    assert "6/6" in remote.stderr  # the frame bar, fed by the worker
    here, there = _frames(tmp_path / "local.mp4"), _frames(tmp_path / "ray.mp4")
    assert len(here) == len(there) == 6
    assert all(np.array_equal(a, b) for a, b in zip(here, there, strict=True))
    heard: list[tuple[int, int | None]] = []
    report = faceswap.swap_video(
        clip, source_path, tmp_path / "python.mp4", cluster=ray_head["gcs"],
        on_progress=lambda done, total: heard.append((done, total)),
    )  # fmt: skip
    assert report.frames_out == 6
    assert heard[-1] == (6, 6)
    python = _frames(tmp_path / "python.mp4")
    assert all(np.array_equal(a, b) for a, b in zip(here, python, strict=True))
    again = cli("video", "-t", clip, "-s", source_path, "-o", tmp_path / "ray.mp4",
                "--cluster", ray_head["gcs"])  # fmt: skip
    assert again.exit_code == 2
    assert "exists" in again.output


def test_several_videos_on_the_cluster_are_the_local_videos(
    ray_head: dict[str, str], source_path: Path, tmp_path: Path
) -> None:
    """Two videos in one ``swap_videos`` call on two workers: the local files, lines, summary."""
    clips = [_clip(tmp_path / "a.mp4"), _clip(tmp_path / "b.mov", frames=4)]
    common = ["video", "-s", source_path, "-t", clips[0], "-t", clips[1], "--json"]
    local = cli(*common, "-o", tmp_path / "local")
    remote = cli(
        *common, "-o", tmp_path / "ray", "--cluster", ray_head["gcs"], "--workers", "2",
        "--progress",
    )  # fmt: skip
    assert local.exit_code == remote.exit_code == 0, remote.output
    assert "2 videos on the cluster" in remote.stderr
    assert "10/10" in remote.stderr  # one bar: the frames of both videos
    for name, frames in (("a.mp4", 6), ("b.mov", 4)):
        here, there = _frames(tmp_path / "local" / name), _frames(tmp_path / "ray" / name)
        assert len(here) == len(there) == frames
        assert all(np.array_equal(a, b) for a, b in zip(here, there, strict=True)), name
    lines, remote_lines = _json_lines(local), _json_lines(remote)
    assert [line["input"] for line in remote_lines[:-1]] == [str(c) for c in clips]
    assert [line["frames_swapped"] for line in remote_lines[:-1]] == [6, 4]
    assert remote_lines[-1] == lines[-1]
    assert remote_lines[-1]["summary"]["done"] == 2


def test_eval_on_the_cluster_gives_the_local_metrics(
    ray_head: dict[str, str], faces_dir: Path, source_path: Path, tmp_path: Path
) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        f"source,target\n{source_path},{faces_dir / 'face0.jpg'}\n"
        f"{source_path},{faces_dir / 'face2.jpg'}\n"
    )
    fast = ["--set", "eval.metrics=[{type: ssim}, {type: psnr}]", "--json"]
    local = cli("eval", "--pairs", pairs, "-o", tmp_path / "local", *fast)
    remote = cli("eval", "--pairs", pairs, "-o", tmp_path / "ray", *fast,
                 "--cluster", ray_head["gcs"], "--workers", "2")  # fmt: skip
    assert local.exit_code == remote.exit_code == 0, remote.output
    metrics = [json.loads((tmp_path / n / "metrics.json").read_text()) for n in ("local", "ray")]
    for name in ("ssim", "psnr"):
        assert metrics[0]["metrics"][name]["value"] == pytest.approx(
            metrics[1]["metrics"][name]["value"], abs=1e-9
        )


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--workers", "2"], 2, "--workers needs --cluster"),
        (["--cluster", "local", "--gpus-per-worker", "nan"], 2, "finite"),
        (["--cluster", "local", "--workers", "0"], 2, "workers: must be between 1 and 4096"),
        (["--cluster", "not an address"], 2, "not one of local, auto"),
    ],
)
def test_cluster_options_are_refused_in_one_line(
    args: list[str], code: int, says: str, faces_dir: Path, source_path: Path, tmp_path: Path
) -> None:
    result = cli("swap", "-s", source_path, "-t", faces_dir, "-o", tmp_path / "out", *args)
    assert result.exit_code == code, result.output
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert line.startswith("Error:")
    assert says in line
    assert not (tmp_path / "out").exists()


def test_an_unreachable_cluster_is_exit_7_in_one_line_and_writes_nothing(
    faces_dir: Path, source_path: Path, tmp_path: Path
) -> None:
    address = f"127.0.0.1:{free_port()}"
    result = cli("swap", "-s", source_path, "-t", faces_dir, "-o", tmp_path / "out",
                 "--cluster", address)  # fmt: skip
    assert result.exit_code == 7, result.output
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert f"cannot reach the Ray cluster at {address}" in line
    assert not (tmp_path / "out").exists()


def test_without_faceswap_ray_cluster_says_what_to_install(
    faces_dir: Path, source_path: Path, tmp_path: Path
) -> None:
    without = FaceswapPlugins(only=["faceswap-retinaface"], strict=True)
    previous = get_plugins()
    try:
        result = cli("eval", "--pairs", tmp_path / "p.csv", "--cluster", "local", plugins=without)
    finally:
        set_plugins(previous)  # make_cli made it the process's manager
    assert result.exit_code == 2, result.output
    assert "faceswap-ray" in result.output
    assert "Ray" in result.output


def test_bench_cluster_prints_local_and_cluster_rows(ray_head: dict[str, str]) -> None:
    result = cli("bench", "--cluster", ray_head["gcs"], "--workers", "1", "--images", "2", "--json")
    assert result.exit_code == 0, result.output
    *rows, summary = _json_lines(result)
    assert [(row["runner"], row["workers"], row["images"]) for row in rows] == [
        ("local", 1, 2),
        ("ray", 1, 2),
    ]
    assert rows[0]["ratio"] == 1.0
    assert rows[1]["ratio"] > 0
    assert rows[1]["retries"] == 0
    assert summary["summary"]["runs"] == rows


def _service(ray_head: dict[str, str], tmp_path: Path) -> TestClient:
    serve = ServeConfig(
        threads=1,
        max_streams=0,
        max_jobs=1,
        jobs_dir=str(tmp_path / "jobs"),
        reports_dir=str(tmp_path / "work_dirs"),
        jobs=ServeJobs(backend="ray", address=ray_head["gcs"]),
    )
    return TestClient(create_app(Settings(serve)))


def _ready(client: TestClient) -> None:
    deadline = time.monotonic() + 120
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, client.get("/readyz").text
        time.sleep(0.1)


def test_service_jobs_run_on_the_cluster_and_outlive_a_restart(
    ray_head: dict[str, str], source_path: Path, tmp_path: Path
) -> None:
    import ray

    clip = _clip(tmp_path / "clip.mp4")
    with _service(ray_head, tmp_path) as client:
        _ready(client)
        with open(clip, "rb") as video:
            submitted = client.post(
                "/v1/jobs/video",
                files={"target": ("in.mp4", video), "source": ("s.jpg", source_path.read_bytes())},
            )
        assert submitted.status_code == 202, submitted.text
        job = submitted.json()
        assert job["backend"] == "ray"
        assert job["status"] in ("queued", "running")
    ray.shutdown()  # the service process is gone; its job runs on in the cluster
    with _service(ray_head, tmp_path) as client:
        _ready(client)
        deadline = time.monotonic() + 120
        while (state := client.get(f"/v1/jobs/{job['id']}").json())["status"] != "done":
            assert state["status"] in ("queued", "running"), state
            assert time.monotonic() < deadline, state
            time.sleep(0.2)
        assert state["progress"] == {"frames": 6, "total": 6, "fraction": 1.0}
        result = client.get(f"/v1/jobs/{job['id']}/result")
        assert result.status_code == 200
    out = tmp_path / "result.mp4"
    out.write_bytes(result.content)
    assert len(_frames(out)) == 6
    assert sorted(p.name for p in (tmp_path / "jobs" / job["id"]).iterdir()) == [
        "job.json",
        "result.mp4",
    ]
