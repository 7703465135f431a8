"""``faceswap.evaluate`` on every kind of input: prepared dataset, pair CSV, videos, a run.

Small runs (two or three pairs) of the real pipeline: what is checked is
which images become pairs, that failed pairs are recorded with their reason,
and what the report says about the data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import av
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image as PILImage

import faceswap
from faceswap_core import hookimpl
from faceswap_core.cli.main import make_cli
from faceswap_core.config.loader import dump_config
from faceswap_core.config.schema import ExperimentConfig
from faceswap_core.eval.evaluator import EvalOptions, resolve_experiment
from faceswap_core.experiment.loop import POINTER_NAME
from faceswap_core.interfaces.face import Image
from faceswap_core.plugin.manager import FaceswapPlugins

SMALL = ("eval.cross_pairs=3", "eval.self_pairs=1")
FAST = (*SMALL, "eval.metrics=[{type: ssim}, {type: failures}]")
"""Pixel metrics only: no recognizer or landmarker to load, no gallery to embed."""


def _rows(folder: Path) -> list[dict[str, str]]:
    import csv

    return list(csv.DictReader((folder / "metrics.csv").open()))


def _document(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "metrics.json").read_text())


def test_prepared_dataset_evaluates_its_test_split_only(
    tiny_prepared: Path, tmp_path: Path, fresh_plugins: FaceswapPlugins
) -> None:
    out = tmp_path / "out"
    args = ["eval", "--data", str(tiny_prepared), "--out", str(out)]
    cli = CliRunner().invoke(make_cli(fresh_plugins), [*args, *(f"--set={o}" for o in FAST)])
    assert cli.exit_code == 0, cli.output
    lines = cli.stdout.splitlines()  # the human summary: one line per metric, then the report
    assert lines[0] == f"eval -> {out}"
    assert any(line.split()[:1] == ["ssim"] for line in lines)
    assert lines[-1] == f"report: {out / 'report.html'}"
    document = _document(out)
    dataset = document["dataset"]
    manifest = json.loads((tiny_prepared / "manifest.json").read_text())
    assert dataset["kind"] == "manifest"
    assert dataset["version"] == manifest["version"] == "1.0.0"
    assert dataset["split"] == "test"
    assert dataset["identities"] == 6  # two of the eight people are in train
    rows = _rows(out)
    used = {row["source_label"] for row in rows} | {row["target_label"] for row in rows}
    assert not used & {"t1_person1", "t1_person2"}
    assert all(row["status"] == "ok" for row in rows), rows
    assert document["metrics"]["ssim"]["value"] is not None
    assert "identity_top1" not in document["metrics"]  # only the configured metrics run


def test_pairs_csv_records_failed_pairs_with_their_reason(
    tiny_lfw: Path, tmp_path: Path, fresh_plugins: FaceswapPlugins
) -> None:
    PILImage.new("RGB", (200, 200), (120, 130, 140)).save(tmp_path / "blank.png")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    lfw = tiny_lfw.as_posix()
    (tmp_path / "pairs.csv").write_text(
        "source,target,source_label,target_label\n"
        f"{lfw}/astronaut/astronaut_0000.jpg,{lfw}/tom_hanks/tom_hanks_0001.jpg,,\n"
        f"{lfw}/astronaut/astronaut_0000.jpg,blank.png,,nobody\n"
        f"blank.png,{lfw}/tom_hanks/tom_hanks_0000.jpg,nobody,\n"
        f"broken.jpg,{lfw}/tom_hanks/tom_hanks_0000.jpg,nobody,\n"
        f"{lfw}/tom_hanks/tom_hanks_0000.jpg,{lfw}/tom_hanks/tom_hanks_0002.jpg,,\n"
    )
    result = faceswap.evaluate(
        pairs=tmp_path / "pairs.csv", output=tmp_path / "out", overrides=FAST
    )
    statuses = {row["pair_id"]: row["status"] for row in _rows(result.out)}
    assert statuses == {
        "p00001": "ok",
        "p00002": "no_face_target",
        "p00003": "no_face_source",
        "p00004": "unreadable_image",
        "p00005": "ok",
    }
    failures = result.document["metrics"]["failures"]
    assert failures["value"] == 3
    assert failures["details"]["no_face_target"] == 1
    assert result.document["pairs"]["cross"] == 4
    assert result.document["pairs"]["self"] == 1
    assert result.metrics["pairs"] == 5
    assert result.metrics["ssim"] is not None  # the self pair was scored
    page = (result.out / "report.html").read_text()
    assert "Failed pairs (3)" in page
    log = [
        json.loads(line) for line in (result.out / "logs" / "run.jsonl").read_text().splitlines()
    ]
    assert [r["event"] for r in log] == ["eval_start", *["pair_failed"] * 3, "eval_end"]
    assert [r["reason"] for r in log[1:4]] == [
        "no_face_target",
        "no_face_source",
        "unreadable_image",
    ]


def _write_video(path: Path, frames: list[Image]) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=5)
        stream.width, stream.height, stream.pix_fmt = 224, 288, "yuv420p"
        stream.options = {"qscale": "2"}
        for frame in frames:
            pixels = np.asarray(PILImage.fromarray(frame).resize((224, 288)))
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_videos_are_sampled_into_identities(
    tiny_faces: dict[str, list[Image]], tmp_path: Path, fresh_plugins: FaceswapPlugins
) -> None:
    videos = tmp_path / "videos"
    videos.mkdir()
    for name in ("astronaut", "t1_person3", "t1_person5"):
        _write_video(videos / f"{name}.mp4", tiny_faces[name] * 2)  # six frames each
    result = faceswap.evaluate(
        videos=videos,
        output=tmp_path / "out",
        overrides=(*FAST, "eval.frames_per_video=3"),
    )
    dataset = result.document["dataset"]
    assert dataset["kind"] == "videos"
    assert (dataset["identities"], dataset["images"]) == (3, 9)
    rows = _rows(result.out)
    assert all(row["source"].split("#")[0].endswith(".mp4") for row in rows)
    assert {row["status"] for row in rows} == {"ok"}


@attrs.frozen
class CheckpointConfig:
    checkpoint: str | None = None


@attrs.frozen
class MarkedConfig:
    weights: str = attrs.field(default="", metadata={"checkpoint": True})


class CheckpointPlugin:
    @hookimpl
    def register_swappers(self, register: Any) -> None:
        register("trained", lambda config, context: None, config=CheckpointConfig)
        register("net", lambda config, context: None, config=MarkedConfig)


def _training_run(folder: Path, swapper: dict[str, Any], best: str) -> Path:
    (folder / "checkpoints").mkdir(parents=True)
    config = ExperimentConfig(name="baseline")
    config = attrs.evolve(config, pipeline=attrs.evolve(config.pipeline, swapper=swapper))
    (folder / "config.yaml").write_text(dump_config(config))
    for name in ("step-00000002.ckpt", best):
        (folder / "checkpoints" / name).write_bytes(b"weights")
    pointer = {"checkpoint": "step-00000002.ckpt", "step": 2, "state": {"best_checkpoint": best}}
    (folder / "checkpoints" / POINTER_NAME).write_text(json.dumps(pointer))
    return folder


def test_a_training_run_gives_its_pipeline_and_best_checkpoint(tmp_path: Path) -> None:
    manager = FaceswapPlugins(strict=True)
    manager.register(CheckpointPlugin(), name="checkpoint-plugin")
    run = _training_run(tmp_path / "run", {"type": "trained"}, "step-00000001.ckpt")
    experiment, _, model = resolve_experiment(EvalOptions(run=run), manager)
    expected = str(run / "checkpoints" / "step-00000001.ckpt")
    assert experiment.pipeline.swapper == {"type": "trained", "checkpoint": expected}
    assert model == {
        "swapper": experiment.pipeline.swapper,
        "run": str(run),
        "checkpoint": expected,
    }
    # --model replaces the run's swapper; a swapper without a checkpoint field is left alone
    experiment, _, _ = resolve_experiment(EvalOptions(run=run, model="classic"), manager)
    assert experiment.pipeline.swapper == {"type": "classic"}


def test_a_run_is_evaluated_with_the_swapper_its_status_records(tmp_path: Path) -> None:
    """A training run's config names its inference pipeline (classic); its status.json names
    the swapper that loads its checkpoints, whose marked field gets the best checkpoint."""
    manager = FaceswapPlugins(strict=True)
    manager.register(CheckpointPlugin(), name="checkpoint-plugin")
    run = _training_run(tmp_path / "run", {"type": "classic"}, "step-00000001.ckpt")
    (run / "status.json").write_text(json.dumps({"status": "finished", "swapper": {"type": "net"}}))
    experiment, _, model = resolve_experiment(EvalOptions(run=run), manager)
    expected = str(run / "checkpoints" / "step-00000001.ckpt")
    assert experiment.pipeline.swapper == {"type": "net", "weights": expected}
    assert model["checkpoint"] == expected


def test_a_run_whose_checkpoints_no_swapper_would_load_is_refused(tmp_path: Path) -> None:
    """Before runs recorded their swapper, eval --run evaluated classic and ignored them."""
    from faceswap_core.errors import InputError

    plain = _training_run(tmp_path / "plain", {"type": "classic"}, "step-00000001.ckpt")
    with pytest.raises(InputError, match=r"takes none.*--model unet --model-path .*step-00000001"):
        resolve_experiment(EvalOptions(run=plain), FaceswapPlugins(strict=True))
    experiment, _, model = resolve_experiment(
        EvalOptions(run=plain, model="classic"), FaceswapPlugins(strict=True)
    )
    assert experiment.pipeline.swapper == {"type": "classic"}  # named explicitly: as asked
    assert model["checkpoint"] is None


def test_a_run_folder_without_config_is_refused(tmp_path: Path) -> None:
    from faceswap_core.errors import InputError

    with pytest.raises(InputError, match=r"has no config\.yaml"):
        resolve_experiment(EvalOptions(run=tmp_path), FaceswapPlugins(strict=True))


def test_an_onnx_export_is_evaluated_without_any_training_run(
    tiny_lfw: Path,
    tmp_path: Path,
    fresh_plugins: FaceswapPlugins,
    onnx_builders: dict[str, Any],
) -> None:
    model, _ = onnx_builders["export"](tmp_path / "swapper.onnx")
    result = faceswap.evaluate(
        data=tiny_lfw, model="onnx", model_path=model, output=tmp_path / "out", overrides=FAST
    )
    assert result.document["model"]["swapper"] == {"type": "onnx", "model": str(model)}
    assert {row["status"] for row in _rows(result.out)} == {"ok"}
    assert 0.0 < result.metrics["ssim"] < 1.0  # the toy graph blends in a flat colour
