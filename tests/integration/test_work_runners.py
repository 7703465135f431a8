"""The local work runner and FileBytes: the same answers as reading and swapping in place."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from tests.video.clips import encode

from faceswap_core.errors import ConfigError, FaceswapError
from faceswap_core.interfaces import WorkRunner
from faceswap_core.io.decode import decode
from faceswap_core.io.read import FileBytes, read_file_bytes
from faceswap_core.pipeline.batch import (
    BatchSummary,
    SwapOptions,
    plan_batch,
    prepare_output_folder,
    run_batch,
    swap_batch,
)
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.pipeline.runner import LocalRunner
from faceswap_core.pipeline.video import swap_videos
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.tools.samples import load_sample, sample_path


def _error(source: object) -> str:
    try:
        decode(source, name="target")
    except FaceswapError as exc:
        return f"{type(exc).__name__}: {exc}"
    raise AssertionError("decoded")


@pytest.mark.parametrize("content", [None, b"", b"\x89PNG\r\n\x1a\n truncated", b"plain text"])
def test_file_bytes_fail_where_and_as_the_path_would(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "x.png"
    if content is not None:
        path.write_bytes(content)
    shipped = read_file_bytes(path, "target", 1 << 20)
    assert isinstance(shipped, FileBytes)
    assert _error(shipped) == _error(path)
    assert str(path) in _error(shipped)


def test_file_bytes_decode_to_the_same_pixels(tmp_path: Path) -> None:
    path = sample_path("tom_hanks")
    np.testing.assert_array_equal(decode(read_file_bytes(path, "source", 1 << 24)), decode(path))


def test_the_local_runner_gives_run_batch_files_and_records(
    tmp_path: Path, fresh_plugins: FaceswapPlugins
) -> None:
    targets = tmp_path / "targets"
    targets.mkdir()
    astronaut = load_sample("astronaut")[0:300, 100:400]
    for index, crop in enumerate((astronaut, astronaut[:, ::-1])):
        small = cv2.resize(np.ascontiguousarray(crop), (128, 128), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(targets / f"t{index}.jpg"), cv2.cvtColor(small, cv2.COLOR_RGB2BGR))
    (targets / "bad.jpg").write_bytes(b"not an image")
    source = sample_path("tom_hanks")
    runner = LocalRunner()
    assert isinstance(runner, WorkRunner)
    assert "local" in fresh_plugins.runners()

    plan = plan_batch([targets], tmp_path / "a", inputs=[source])
    prepare_output_folder(plan)
    pipeline = Pipeline(None, fresh_plugins)
    expected = list(run_batch(pipeline, pipeline.prepare_source(source), plan, model="classic"))

    plan = plan_batch([targets], tmp_path / "b", inputs=[source])
    prepare_output_folder(plan)
    run = swap_batch(runner, plan, source, options=SwapOptions(model="classic"))
    records = list(run)
    assert [(r.status, r.error, Path(r.output).name) for r in records] == [
        (r.status, r.error, Path(r.output).name) for r in expected
    ]
    assert run.summary == BatchSummary(done=2, failed=1, exit_code=3)
    for name in ("t0.png", "t1.png"):
        np.testing.assert_array_equal(decode(tmp_path / "b" / name), decode(tmp_path / "a" / name))


@pytest.mark.parametrize("route", ["run_batch", "swap_batch"])
def test_an_output_made_after_planning_is_kept_on_both_routes(
    tmp_path: Path, fresh_plugins: FaceswapPlugins, route: str
) -> None:
    """No clobber holds at the final rename, where the driver writes (issue 17 with the runner)."""
    target = tmp_path / "t.png"
    small = cv2.resize(load_sample("astronaut")[0:300, 100:400], (96, 96))
    cv2.imwrite(str(target), cv2.cvtColor(small, cv2.COLOR_RGB2BGR))
    source = sample_path("tom_hanks")
    out = tmp_path / "out.png"
    plan = plan_batch([target], out, inputs=[source])
    out.write_bytes(b"another process's result")  # after the plan's exists-check
    if route == "run_batch":
        pipeline = Pipeline(None, fresh_plugins)
        records = list(run_batch(pipeline, pipeline.prepare_source(source), plan))
    else:
        records = list(swap_batch(LocalRunner(), plan, source))
    (record,) = records
    assert (record.status, record.exit_code) == ("failed", 2)
    assert "exists" in str(record.error)
    assert out.read_bytes() == b"another process's result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png", "t.png"]  # no temporary


def test_swap_videos_keeps_an_output_made_while_its_video_ran(tmp_path: Path) -> None:
    clip = encode(tmp_path / "clip.mp4", [np.full((64, 64, 3), 80, np.uint8)] * 3)
    out = tmp_path / "out.mp4"

    def someone_else_writes(done: int, total: int | None) -> None:
        if done == 1:
            out.write_bytes(b"another process's result")

    (record,) = swap_videos(
        LocalRunner(), [(clip, out)], sample_path("tom_hanks"), progress=someone_else_writes
    )
    assert (record.status, record.exit_code) == ("failed", 2)
    assert out.read_bytes() == b"another process's result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "out.mp4"]


def test_the_local_runner_reports_each_videos_frames_by_its_index(tmp_path: Path) -> None:
    """``item_progress(index, done, total)`` follows each video to its last frame, beside the
    video's own ``progress`` callback."""
    clips = [
        encode(tmp_path / f"c{count}.mp4", [np.full((64, 64, 3), 80, np.uint8)] * count)
        for count in (3, 5)
    ]
    seen: list[tuple[int, int, int | None]] = []
    own: list[int] = []
    records = list(
        swap_videos(
            LocalRunner(),
            [(clip, tmp_path / f"out{index}.mp4") for index, clip in enumerate(clips)],
            sample_path("tom_hanks"),
            item_progress=lambda index, done, total: seen.append((index, done, total)),
            progress=lambda done, total: own.append(done),
        )
    )
    assert [record.status for record in records] == ["done", "done"]
    for index, frames in ((0, 3), (1, 5)):
        reports = [(done, total) for i, done, total in seen if i == index]
        assert reports[-1] == (frames, frames)
        assert [done for done, _ in reports] == sorted(done for done, _ in reports)
    assert [i for i, _, _ in seen] == sorted(i for i, _, _ in seen)  # one video after the other
    assert own == [done for _, done, _ in seen]


def test_swap_videos_checks_options_before_any_work(tmp_path: Path) -> None:
    clip = encode(tmp_path / "clip.mp4", [np.full((64, 64, 3), 80, np.uint8)] * 3)
    for options in ({"threshold": float("nan")}, {"crf": 99}, {"preset": "bogus"}):
        with pytest.raises(ConfigError):
            list(swap_videos(LocalRunner(), [(clip, tmp_path / "o.mp4")], clip, **options))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


def test_swap_batch_checks_the_threshold_before_any_work(tmp_path: Path) -> None:
    target = tmp_path / "t.png"
    target.write_bytes(b"never read")
    plan = plan_batch([target], tmp_path / "out.png", inputs=[])
    for threshold in (float("nan"), 5.0):
        with pytest.raises(ConfigError, match="threshold"):
            swap_batch(
                LocalRunner(),
                plan,
                tmp_path / "missing-source.png",
                options=SwapOptions(threshold=threshold),
            )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.png"]
