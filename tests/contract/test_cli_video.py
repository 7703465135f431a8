"""``faceswap video`` and ``faceswap inspect`` on videos, run as the installed script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image as PILImage
from tests.video.clips import bad_videos, decode_video, encode, pan_zoom, tone

from faceswap_core.cli.main import make_cli
from faceswap_core.interfaces.face import Image
from faceswap_core.plugin.manager import FaceswapPlugins

SCRIPT = shutil.which("faceswap") or str(Path(sys.executable).parent / "faceswap")


def faceswap(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FACESWAP_STRICT_PLUGINS": "1", "OMP_NUM_THREADS": "2"}
    return subprocess.run(
        [SCRIPT, *map(str, args)], capture_output=True, text=True, timeout=300, check=False, env=env
    )


@pytest.fixture(scope="module")
def files(
    tmp_path_factory: pytest.TempPathFactory, t1_image: Image, astronaut_image: Image
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli-video")
    frames, _ = pan_zoom(
        astronaut_image, (240, 180), 12, centre=(225, 120), travel=(20, 0), scale=0.6, zoom=0.05
    )
    clip = encode(folder / "clip.mp4", frames, audio=tone(12 / 25))
    source = folder / "t1.jpg"
    PILImage.fromarray(t1_image).save(source, quality=95)
    blank = folder / "blank.png"
    PILImage.fromarray(astronaut_image[:64, 400:464]).save(blank)
    return {"clip": clip, "source": source, "blank": blank}


def test_video_json_summary_and_inspect(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    done = faceswap(
        "video", "-s", files["source"], "-t", files["clip"], "-o", out,
        "--json", "--smooth", "ema", "--smooth-param", "alpha=0.6", "--detect-every", "3",
        "--progress",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "12/12" in done.stderr  # the progress bar (frames done / total, rate, ETA)
    assert "frame/s" in done.stderr
    item, last = (json.loads(line) for line in done.stdout.strip().splitlines())
    assert last["summary"] == {
        "done": 1, "failed": 0, "frames": 12, "frames_swapped": 12, "retries": 0, "exit_code": 0,
    }  # fmt: skip
    assert list(last) == ["summary"]
    summary = item
    assert summary["warning"] is None
    assert summary["frames_in"] == summary["frames_out"] == 12
    assert summary["frames_swapped"] == summary["frames_with_faces"] == 12
    assert summary["output"] == str(out)
    assert summary["fps"] > 0
    assert {"decode", "detect", "swap", "paste", "encode"} <= set(summary["stages"])
    assert summary["streams"][0]["mode"] == "copy"
    assert len(decode_video(out)[0]) == 12
    shown = faceswap("inspect", out, "--json")
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout.splitlines()[0])
    assert record["frames"] == 12
    assert record["provenance"]["digital_source_type"].endswith("/compositeCapture")
    assert record["provenance"]["synthetic"] is False  # the classic warp generates no pixels
    assert record["provenance"]["model"] == "classic"
    assert record["c2pa"]["state"] == "absent"  # no signer configured
    text = faceswap("inspect", out)
    assert "a composite, not marked as AI-made" in text.stdout


@pytest.mark.parametrize("kind", ["zero-byte", "not-a-video", "truncated", "audio-only"])
def test_bad_videos_exit_3_with_one_line_and_no_output(
    files: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    path, message = bad_videos(tmp_path, files["clip"])[kind]
    out = tmp_path / "out" / "out.mp4"
    done = faceswap("video", "-s", files["source"], "-t", path, "-o", out)
    assert done.returncode == 3, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("Error: cannot decode video")
    assert message in line
    assert not out.parent.exists() or os.listdir(out.parent) == []


def test_no_face_in_source_exits_4(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    done = faceswap("video", "-s", files["blank"], "-t", files["clip"], "-o", out)
    assert done.returncode == 4, done.stderr
    assert "no face" in done.stderr
    assert os.listdir(tmp_path) == []


def test_existing_output_bad_options_exit_2(files: dict[str, Path], tmp_path: Path) -> None:
    plugins = FaceswapPlugins(strict=True)
    out = tmp_path / "out.mp4"
    out.write_bytes(b"precious")
    base = ["video", "-s", str(files["source"]), "-t", str(files["clip"]), "-o"]
    cases = [
        ([*base, str(out)], "--overwrite"),
        ([*base, str(tmp_path / "o.mp4"), "--smooth-param", "gamma=1"], "KEY one of"),
        ([*base, str(tmp_path / "o.mp4"), "--detect-every", "0"], "detect_every"),
        ([*base, str(tmp_path / "o.png")], "video suffix"),
        ([*base, str(tmp_path / "o.mp4"), "--codec", "mpeg4", "--crf", "20"], "--crf"),
        ([*base, str(tmp_path / "o.mp4"), "--start", "soon"], "seconds"),
        ([*base, str(tmp_path / "o.mp4"), "--faces", "reference"], "--reference"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(make_cli(plugins), args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output
    assert out.read_bytes() == b"precious"
    assert sorted(os.listdir(tmp_path)) == ["out.mp4"]


def test_the_old_python_keywords_of_swap_video_still_work(
    files: dict[str, Path], tmp_path: Path
) -> None:
    import faceswap
    from faceswap.errors import FaceswapWarning

    seen: list[tuple[int, int | None]] = []
    with pytest.warns(FaceswapWarning) as caught:
        report = faceswap.swap_video(
            in_path=files["clip"],
            src=files["source"],
            out_path=tmp_path / "old.mp4",
            progress=lambda done, total: seen.append((done, total)),
            detect_every=4,
        )
    # (the source is a group photo: the one line naming the face used is tested in test_cli_quality)
    assert [str(w.message) for w in caught if "faces; using the largest" not in str(w.message)] == [
        "in_path= is deprecated; use target=",
        "src= is deprecated; use source=",
        "out_path= is deprecated; use output=",
        "progress= is deprecated; use on_progress=",
    ]
    assert report.frames_out == 12
    assert seen[-1] == (12, 12)
    assert (tmp_path / "old.mp4").is_file()


def test_a_reference_that_never_matches_warns_like_swap(
    files: dict[str, Path], tmp_path: Path, tom_hanks_path: Path
) -> None:
    """Nobody in the clip is the reference: the video is written unchanged, with the Warning
    line ``faceswap swap`` prints for such an image."""
    video = faceswap(
        "video", "-s", files["source"], "-t", files["clip"], "-o", tmp_path / "v.mp4",
        "--reference", tom_hanks_path, "--detect-every", "6",
    )  # fmt: skip
    assert video.returncode == 0, video.stderr
    still = tmp_path / "frame.png"
    PILImage.fromarray(decode_video(files["clip"])[0][0]).save(still)
    image = faceswap(
        "swap", "-s", files["source"], "-t", still, "-o", tmp_path / "i.png",
        "--reference", tom_hanks_path,
    )  # fmt: skip
    assert image.returncode == 0, image.stderr

    def warnings_of(stderr: str) -> list[str]:  # but the group photo's source-face line
        return [
            line
            for line in stderr.splitlines()
            if line.startswith("Warning:") and "faces; using the largest" not in line
        ]

    assert warnings_of(video.stderr) == [
        f"Warning: no face selected in video '{files['clip']}'; written unchanged, "
        "without the provenance mark"
    ]
    assert warnings_of(image.stderr) == [
        f"Warning: no face selected in target '{still}'; written unchanged, "
        "without the provenance mark"
    ]


def test_several_videos_go_into_a_folder_and_a_broken_one_is_reported(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """Two targets (a folder of two clips after a broken file): each written under its own name,
    one JSON line per video, the summary, the broken one's exit code at the end; a rerun is
    refused before any work, --skip-existing resumes, clashing names are refused."""
    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(files["clip"], videos / "a.mp4")
    shutil.copy(files["clip"], videos / "b.mov")
    (videos / "notes.txt").write_text("not a video, and not a target either")
    broken, _ = bad_videos(tmp_path, files["clip"])["not-a-video"]
    out = tmp_path / "out"
    plugins = FaceswapPlugins(strict=True)
    args = ["video", "-s", str(files["source"]), "-t", str(broken), "-t", str(videos), "-o"]

    first = CliRunner().invoke(make_cli(plugins), [*args, str(out), "--json"])
    assert first.exit_code == 3, first.output
    assert "Error: cannot decode video" in first.stderr
    *records, last = (json.loads(line) for line in first.stdout.strip().splitlines())
    assert [(r["status"], Path(r["output"]).name) for r in records] == [
        ("failed", "notes.mp4"), ("done", "a.mp4"), ("done", "b.mov"),
    ]  # fmt: skip
    assert records[0]["exit_code"] == 3
    assert [r["frames_swapped"] for r in records[1:]] == [12, 12]
    assert last == {
        "summary": {
            "done": 2, "failed": 1, "skipped": 0, "not_run": 0, "retries": 0, "exit_code": 3,
            "frames": 24, "frames_swapped": 24,
        }
    }  # fmt: skip
    assert sorted(os.listdir(out)) == ["a.mp4", "b.mov"]
    assert len(decode_video(out / "b.mov")[0]) == 12
    written = {name: (out / name).read_bytes() for name in os.listdir(out)}

    clash = tmp_path / "other"
    clash.mkdir()
    shutil.copy(files["clip"], clash / "A.mp4")
    refused = [
        ([*args, str(out)], "already exists"),
        ([*args, str(tmp_path / "o2"), "-t", str(clash / "A.mp4")], "same output name"),
        ([*args, str(out), "--overwrite", "--skip-existing"], "contradict"),
    ]
    for given, message in refused:
        result = CliRunner().invoke(make_cli(plugins), given)
        assert result.exit_code == 2, (given, result.output)
        assert message in result.output
    assert not (tmp_path / "o2").exists()

    stopped = CliRunner().invoke(make_cli(plugins), [*args, str(tmp_path / "ff"), "--fail-fast"])
    assert stopped.exit_code == 3, stopped.output
    assert "video: 0 done, 1 failed, 0 skipped, 2 not run" in stopped.stderr
    assert os.listdir(tmp_path / "ff") == []
    one = [*args[:4], str(videos / "a.mp4"), "-o", str(out / "a.mp4"), "--skip-existing"]
    kept = CliRunner().invoke(make_cli(plugins), [*one, "--json"])
    assert kept.exit_code == 0, kept.output
    assert json.loads(kept.stdout.splitlines()[0])["status"] == "skipped"

    resumed = CliRunner().invoke(make_cli(plugins), [*args, str(out), "--skip-existing"])
    assert resumed.exit_code == 3, resumed.output
    assert "a.mp4: skipped (output exists)" in resumed.stdout
    assert "video: 0 done, 1 failed, 2 skipped" in resumed.stderr
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == written
