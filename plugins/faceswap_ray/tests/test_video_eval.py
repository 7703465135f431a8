"""Videos (one task each) and evaluations (sharded pairs) on a real Ray cluster."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pytest
import ray.cloudpickle

from faceswap_core.config.schema import PipelineConfig
from faceswap_core.eval.evaluator import EvalOptions, evaluate
from faceswap_core.io.read import read_file_bytes
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.pipeline.video import VideoTask, VideoWork, swap_video, swap_videos
from faceswap_core.plugin.manager import get_plugins, loaded_distributions
from faceswap_core.tools.samples import load_sample
from faceswap_ray.runner import RayRunner, connect

from .test_batch import Announcing, _kill_first_worker


@pytest.fixture(scope="module")
def runner(ray_head: dict[str, str]) -> Iterator[RayRunner]:
    with connect(address=ray_head["gcs"], workers=2, batch_size=2) as ray_runner:
        yield ray_runner


def _clip(path: Path, frames: int = 6, size: int = 128) -> Path:
    """A short H.264 clip panning over the astronaut's face."""
    photo = load_sample("astronaut")[0:300, 100:400]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(10))
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for index in range(frames):
            crop = photo[index * 3 : index * 3 + 280, index * 3 : index * 3 + 280]
            frame = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def test_videos_run_as_tasks_with_the_local_frames_and_a_bad_one_is_reported(
    runner: RayRunner, source_path: Path, tmp_path: Path
) -> None:
    clip = _clip(tmp_path / "clip.mp4")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42 and then nothing a decoder can use")
    local = swap_video(clip, source_path, tmp_path / "local.mp4", pipeline=Pipeline())
    records = list(
        swap_videos(
            runner,
            [(bad, tmp_path / "out" / "bad.mp4"), (clip, tmp_path / "out" / "clip.mp4")],
            source_path,
            plugins=get_plugins(),
        )
    )
    failed, done = records
    assert failed.status == "failed"
    assert failed.exit_code == 3
    assert f"video {str(bad)!r}" in str(failed.error)  # named by the driver's path
    assert not (tmp_path / "out" / "bad.mp4").exists()
    assert done.status == "done"
    assert done.report is not None
    assert done.report.input == str(clip)
    assert done.report.frames_swapped == local.frames_swapped
    ours, theirs = _frames(tmp_path / "out" / "clip.mp4"), _frames(tmp_path / "local.mp4")
    assert len(ours) == len(theirs) == 6
    for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_array_equal(a, b, err_msg=f"frame {index}")


def test_videos_on_the_cluster_report_their_frames_to_the_driver(
    runner: RayRunner, source_path: Path, tmp_path: Path
) -> None:
    """Two videos run at once on two workers; the driver hears each one's frames as they go,
    up to its last frame, by the video's index."""
    clips = [_clip(tmp_path / "a.mp4", frames=6), _clip(tmp_path / "b.mp4", frames=4)]
    seen: list[tuple[int, int, int | None]] = []
    records = list(
        swap_videos(
            runner,
            [(clip, tmp_path / "out" / clip.name) for clip in clips],
            source_path,
            plugins=get_plugins(),
            item_progress=lambda index, done, total: seen.append((index, done, total)),
        )
    )
    assert [record.status for record in records] == ["done", "done"]
    for index, frames in ((0, 6), (1, 4)):
        reports = [(done, total) for i, done, total in seen if i == index]
        assert reports, f"no progress from video {index}"
        assert reports[-1] == (frames, frames)
        assert [done for done, _ in reports] == sorted(done for done, _ in reports)


def test_a_worker_killed_mid_video_costs_a_retry_and_gives_the_local_frames(
    runner: RayRunner, source_path: Path, tmp_path: Path
) -> None:
    """The video's worker is killed inside its task: Ray restarts it, the task runs again, the
    runner counts the retry, and the video comes back whole, frame for frame the local one."""
    ray.cloudpickle.register_pickle_by_value(sys.modules[Announcing.__module__])
    clip = _clip(tmp_path / "clip.mp4")
    local = swap_video(clip, source_path, tmp_path / "local.mp4", pipeline=Pipeline())
    marks = tmp_path / "marks"
    marks.mkdir()
    source = read_file_bytes(source_path, "source", 1 << 30)
    work = VideoWork(PipelineConfig(), source, {}, loaded_distributions(get_plugins()))
    task = VideoTask(read_file_bytes(clip, "video", 1 << 30), str(tmp_path / "out.mp4"))
    before = runner.retries
    killed: list[int] = []
    killer = threading.Thread(target=_kill_first_worker, args=(marks, killed))
    killer.start()
    (record,) = runner.map(Announcing(work, str(marks)), [task], large=True)
    killer.join()
    assert killed, "no worker announced the video"
    assert runner.retries - before >= 1
    assert record.status == "done", record.error
    assert record.report is not None
    assert record.report.frames_swapped == local.frames_swapped
    assert record.data is not None
    (tmp_path / "out.mp4").write_bytes(record.data)
    ours, theirs = _frames(tmp_path / "out.mp4"), _frames(tmp_path / "local.mp4")
    assert len(ours) == len(theirs) == 6
    for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_array_equal(a, b, err_msg=f"frame {index}")


PAIRS = (
    "eval.cross_pairs=4",
    "eval.self_pairs=2",
    "eval.metrics=[{type: identity}, {type: ssim}, {type: psnr}, {type: failures}]",
)


@pytest.fixture(scope="module")
def eval_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four people, two images each, in LFW layout, and one file that is not an image."""
    root = tmp_path_factory.mktemp("lfw")
    t1 = load_sample("t1")
    people = {
        "astronaut": load_sample("astronaut")[0:300, 100:400],
        "left": t1[40:260, 0:300],
        "middle": t1[40:260, 300:600],
        "right": t1[40:260, 600:900],
    }
    for name, photo in people.items():
        (root / name).mkdir()
        small = cv2.resize(photo, (160, 160), interpolation=cv2.INTER_AREA)
        for index, image in enumerate((small, np.ascontiguousarray(small[:, ::-1]))):
            bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
            cv2.imwrite(str(root / name / f"{name}_{index:04d}.jpg"), bgr)
    (root / "left" / "left_0002.jpg").write_bytes(b"not a jpeg")
    return root


def _document(folder: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((folder / "metrics.json").read_text())
    document.pop("created")
    return document


def test_an_evaluation_sharded_over_workers_gives_the_local_numbers(
    runner: RayRunner, eval_data: Path, tmp_path: Path
) -> None:
    local = evaluate(
        EvalOptions(data=eval_data, out=tmp_path / "local", overrides=PAIRS),
        env_factory=dict,
    )
    sharded = evaluate(
        EvalOptions(data=eval_data, out=tmp_path / "ray", overrides=PAIRS),
        env_factory=dict,
        runner=runner,
    )
    assert sharded.metrics == local.metrics
    assert local.metrics["identity_cos_source"] is not None
    assert _document(sharded.out) == _document(local.out)
    assert "left/left_0002.jpg" in _document(sharded.out)["dataset"]["unreadable"]
    rows = (tmp_path / "ray" / "metrics.csv").read_text()
    assert rows == (tmp_path / "local" / "metrics.csv").read_text()
