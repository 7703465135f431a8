"""``faceswap export onnx``: a U-Net checkpoint to a validated ONNX graph that swaps without torch.

The checkpoints are real checkpoint folders with seeded random weights
(:mod:`faceswap_unet.testing`), written in a second instead of trained. Every
check of the exported graph is made here independently of the exporter's own
validation: the graph is read back with ``onnx`` and run with ``onnxruntime``
directly against the checkpoint's torch module, and swaps go through core's
``onnx`` swapper and the ``faceswap swap`` command on real faces.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from PIL import Image

import faceswap
from faceswap_core.errors import ConfigError, ModelFileError
from faceswap_core.interfaces import Face
from faceswap_core.io.atomic import atomic_write_json
from faceswap_core.io.decode import decode
from faceswap_core.pipeline.context import build_context
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.swappers.configs import OnnxSwapperConfig
from faceswap_core.swappers.export_recognizer import companion_paths
from faceswap_core.swappers.onnx import OnnxSwapper
from faceswap_core.testing import run_cli
from faceswap_core.tools.samples import load_sample, sample_path
from faceswap_unet.checkpoint import FORMAT
from faceswap_unet.configs import ModelConfig
from faceswap_unet.inference import load_checkpoint_for_inference, load_for_export
from faceswap_unet.testing import random_checkpoint

from .conftest import last_json, run_faceswap

CONTRACT_KEYS = {
    "faceswap.crop_size": "64",
    "faceswap.template": "arcface",
    "faceswap.recognizer": "faceswap-unet:tiny",
    "faceswap.embedding_dim": "128",
}


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder as the trainer leaves it: two checkpoints, the pointer naming the best."""
    run = tmp_path_factory.mktemp("run")
    folder = run / "checkpoints"
    random_checkpoint(folder / "step-00000001.ckpt", seed=1)
    random_checkpoint(folder / "step-00000002.ckpt", seed=2)
    state = {"step": 2, "best_checkpoint": "step-00000001.ckpt", "best_step": 1}
    atomic_write_json(
        folder / "last_checkpoint", {"checkpoint": "step-00000002.ckpt", "step": 2, "state": state}
    )
    return run


@pytest.fixture(scope="module")
def exported(
    run_dir: Path, plugins: FaceswapPlugins, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    """``faceswap export onnx --run RUN --out swapper.onnx --json`` (dynamic batch, fp32)."""
    out = tmp_path_factory.mktemp("export") / "swapper.onnx"
    result = run_cli("export", "onnx", "--run", str(run_dir), "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    return out, last_json(result.stdout)


def torch_reference(checkpoint: Path, target: np.ndarray, source: np.ndarray) -> np.ndarray:
    module, _ = load_for_export(checkpoint)
    with torch.no_grad():
        output, _mask = module(torch.from_numpy(target), torch.from_numpy(source))
    return output.numpy()


def inputs(batch: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    target = rng.random((batch, 3, 64, 64), dtype=np.float32)
    source = rng.standard_normal((batch, 128)).astype(np.float32)
    return target, source / np.linalg.norm(source, axis=1, keepdims=True)


def declared_batch(path: Path) -> list[int | str]:
    """The first dimension of every graph input and output, as onnx reads it."""
    graph = onnx.load(str(path)).graph
    dims = [value.type.tensor_type.shape.dim[0] for value in (*graph.input, *graph.output)]
    return [d.dim_param or d.dim_value for d in dims]


def test_export_of_the_best_checkpoint_matches_torch_within_tolerance(
    exported: tuple[Path, dict[str, Any]], run_dir: Path
) -> None:
    out, summary = exported
    assert summary["out"] == str(out)
    assert summary["opset"] == 18
    assert 0 < summary["max_abs_diff"] <= 1e-3
    assert 0 < summary["mean_abs_diff"] <= summary["max_abs_diff"]
    best = run_dir / "checkpoints" / "step-00000001.ckpt"
    assert Path(summary["checkpoint"]) == best  # the pointer's best, not its last
    model = onnx.load(str(out))
    onnx.checker.check_model(model, full_check=True)
    props = {prop.key: prop.value for prop in model.metadata_props}
    assert {key: props[key] for key in CONTRACT_KEYS} == CONTRACT_KEYS
    assert [i.name for i in model.graph.input] == ["target", "source"]
    assert [o.name for o in model.graph.output] == ["output", "mask"]
    assert [op.version for op in model.opset_import if op.domain in ("", "ai.onnx")] == [18]
    # Independently of the exporter's own check: onnxruntime against each checkpoint's torch.
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    for batch in (1, 4):
        target, source = inputs(batch)
        got = session.run(["output"], {"target": target, "source": source})[0]
        assert np.abs(got - torch_reference(best, target, source)).max() < 1e-4
        last = torch_reference(run_dir / "checkpoints" / "step-00000002.ckpt", target, source)
        assert np.abs(got - last).max() > 1e-2  # ...and it is not the last checkpoint's graph


def test_export_json_records_the_validation_and_versions(
    exported: tuple[Path, dict[str, Any]],
) -> None:
    out, summary = exported
    record = json.loads((out.parent / "swapper.export.json").read_text())
    assert record["max_abs_diff"] == summary["max_abs_diff"]
    assert record["mean_abs_diff"] == summary["mean_abs_diff"]
    assert record["opset"] == 18
    assert record["exporter"] == "torch.onnx (dynamo)"
    assert record["versions"]["torch"] == version("torch")
    assert record["versions"]["onnx"] == onnx.__version__
    assert [run["batch"] for run in record["validation"]] == [1, 4]
    assert record["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_the_export_carries_the_training_recognizer_pinned_by_sha256(
    exported: tuple[Path, dict[str, Any]],
) -> None:
    out, summary = exported
    graph, probes = companion_paths(out)
    assert (graph.name, probes.name) == ("swapper.recognizer.onnx", "swapper.probes.npz")
    props = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert props["faceswap.recognizer_sha256"] == hashlib.sha256(graph.read_bytes()).hexdigest()
    assert props["faceswap.probes_sha256"] == hashlib.sha256(probes.read_bytes()).hexdigest()
    record = json.loads(out.with_name("swapper.export.json").read_text())
    assert record["recognizer_graph"]["file"] == graph.name
    assert record["recognizer_graph"]["sha256"] == props["faceswap.recognizer_sha256"]
    assert record["probes"] == {
        "file": probes.name, "sha256": props["faceswap.probes_sha256"], "count": 8,
    }  # fmt: skip
    # Independently: the graph (ONNX Runtime) against the checkpoint's torch recognizer.
    recognizer = load_checkpoint_for_inference(summary["checkpoint"]).recognizer
    assert recognizer is not None
    session = ort.InferenceSession(str(graph), providers=["CPUExecutionProvider"])
    crops = inputs(3)[0]
    (got,) = session.run(["embedding"], {"crop": crops})
    with torch.no_grad():
        want = recognizer(torch.from_numpy(crops)).numpy()
    assert got.shape == (3, 128)
    assert np.abs(got - want).max() < 1e-5
    with np.load(probes, allow_pickle=False) as data:
        assert data["images"].shape == (8, 160, 160, 3)
        assert np.allclose(np.linalg.norm(data["embeddings"], axis=1), 1.0, atol=1e-5)


def test_the_onnx_swapper_embeds_the_source_with_exactly_the_training_network(
    exported: tuple[Path, dict[str, Any]], plugins: FaceswapPlugins
) -> None:
    """Same source through ``--model unet`` (torch, the checkpoint's recognizer) and through
    the export (ONNX Runtime, its recognizer graph): the same embedding, the same swap."""
    from faceswap_core.config.schema import PipelineConfig
    from faceswap_core.pipeline.image import Pipeline

    out, summary = exported
    torch_run = Pipeline(
        PipelineConfig(swapper={"type": "unet", "model": summary["checkpoint"]}), plugins
    )
    deployed = Pipeline(PipelineConfig(swapper={"type": "onnx", "model": str(out)}), plugins)
    source, target = load_sample("tom_hanks"), load_sample("astronaut")
    want = torch_run.prepare_source(source).prepared
    got = deployed.prepare_source(source).prepared
    assert got.shape == (1, 128)
    assert np.abs(got[0] - np.asarray(want)).max() < 1e-5
    swapped = deployed.swap(target, source).image.astype(int)
    reference = torch_run.swap(target, source).image.astype(int)
    assert np.abs(swapped - reference).max() <= 2  # rounding of two runtimes
    assert np.abs(swapped - target).max() > 20  # ... of a swap that changed the face


def test_the_printed_swap_command_works_as_printed(run_dir: Path, tmp_path: Path) -> None:
    """The export's "Swap with:" line, run as a user pastes it, in a process without torch."""
    import shlex

    out = tmp_path / "deploy" / "swapper.onnx"
    done = run_faceswap("export", "onnx", "--run", str(run_dir), "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (line,) = [text for text in done.stdout.splitlines() if text.startswith("Swap with: ")]
    command = line.removeprefix("Swap with: ")
    target = tmp_path / "astronaut.png"
    Image.fromarray(load_sample("astronaut")).save(target)
    filled = (
        command.replace("SOURCE", shlex.quote(str(sample_path("tom_hanks"))))
        .replace("TARGET", shlex.quote(str(target)))
        .replace("OUT", "swapped.png")
    )
    argv = shlex.split(filled)
    assert argv[0] == "faceswap"
    # torch cannot be imported in the deployment process: the export needs none of it.
    no_torch = "import sys; sys.modules['torch'] = None; from faceswap_core.cli.main import main; "
    no_torch += "sys.argv = ['faceswap', *sys.argv[1:]]; main()"
    deployed = subprocess.run(
        [sys.executable, "-c", no_torch, *argv[1:]],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False,
        env={**os.environ, "FACESWAP_LOAD_PLUGINS": "faceswap-retinaface"},
    )  # fmt: skip
    assert deployed.returncode == 0, deployed.stderr
    assert "1/1 faces swapped" in deployed.stdout
    assert decode(tmp_path / "swapped.png").shape == load_sample("astronaut").shape


def test_a_checkpoint_without_its_recognizer_cannot_be_exported(tmp_path: Path) -> None:
    from safetensors.numpy import load_file, save_file

    checkpoint = random_checkpoint(tmp_path / "ckpt")
    tensors = load_file(str(checkpoint / "model.safetensors"))
    kept = {k: v for k, v in tensors.items() if not k.startswith("recognizer.")}
    save_file(kept, str(checkpoint / "model.safetensors"), metadata={"format": FORMAT})
    state = json.loads((checkpoint / "state.json").read_text())
    state["recognizer"] = {**state["recognizer"], "weights": str(tmp_path / "gone.pth")}
    (checkpoint / "state.json").write_text(json.dumps(state))
    out = tmp_path / "out" / "m.onnx"
    result = run_cli("export", "onnx", "--checkpoint", str(checkpoint), "-o", str(out))
    assert result.exit_code == 5
    line = one_error_line(result.stderr)
    assert "the recognizer this model was trained with is not here" in line
    assert "gone.pth" in line
    assert not out.parent.exists()


def test_the_core_onnx_swapper_runs_the_export_like_torch(
    exported: tuple[Path, dict[str, Any]], plugins: FaceswapPlugins
) -> None:
    out, summary = exported
    swapper = OnnxSwapper(OnnxSwapperConfig(model=str(out)), build_context(plugins))
    assert (swapper.crop_size, swapper.embedding_dim, swapper.template) == (64, 128, "arcface")
    assert swapper.recognizer is None  # it embeds the source with its own recognizer graph
    assert swapper.trained_recognizer == "faceswap-unet:tiny"
    assert swapper.has_mask
    face_image = load_sample("astronaut")[30:230, 150:350]
    crop = np.asarray(Image.fromarray(face_image).resize((64, 64)), dtype=np.uint8)
    embedding = inputs(1)[1][0]
    face = Face(bbox=[0, 0, 64, 64], score=1.0, kps=np.zeros((5, 2)))
    result = swapper.swap(crop, face, embedding[None])
    target = crop.transpose(2, 0, 1)[None].astype(np.float32) / 255.0
    want = torch_reference(Path(summary["checkpoint"]), target, embedding[None])
    expected = np.clip(want[0].transpose(1, 2, 0) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    assert np.abs(result.image.astype(int) - expected).max() <= 1  # rounding only


def test_faceswap_swap_with_the_export_on_real_faces(
    exported: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    out, _ = exported
    target = tmp_path / "astronaut.png"
    Image.fromarray(load_sample("astronaut")).save(target)
    result = tmp_path / "swapped.png"
    done = run_faceswap(
        "swap", "-s", str(sample_path("tom_hanks")), "-t", str(target), "-o", str(result),
        "--model", "onnx", "--model-path", str(out), "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[0])  # one JSON line per target, then a summary
    assert report["faces_swapped"] == 1
    before, after = decode(target), decode(result)
    x1, y1, x2, y2 = (int(v) for v in report["faces"][0]["bbox"])
    assert np.abs(after[y1:y2, x1:x2].astype(int) - before[y1:y2, x1:x2]).mean() > 1.0
    assert np.array_equal(after[:, :100], before[:, :100])  # far from the face: untouched


def test_models_add_registers_the_export_and_swap_finds_it_by_name(
    exported: tuple[Path, dict[str, Any]],
    plugins: FaceswapPlugins,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out, _ = exported
    monkeypatch.setenv("FACESWAP_HOME", str(tmp_path / "home"))
    added = run_cli("models", "add", "my_unet", str(out), "--type", "onnx", manager=plugins)
    assert added.exit_code == 0, added.output
    stored = tmp_path / "home" / "models" / "user" / "my_unet.onnx"
    assert stored.read_bytes() == out.read_bytes()
    for mine, theirs in zip(companion_paths(stored), companion_paths(out), strict=True):
        assert mine.read_bytes() == theirs.read_bytes()  # the recognizer travels with it
    listed = run_cli("models", "list", "--json", manager=plugins)
    rows = [json.loads(line) for line in listed.stdout.splitlines()][:-1]  # then the summary
    row = next(r for r in rows if r["name"] == "my_unet")
    assert (row["kind"], row["status"], row["verified"]) == ("swapper", "present", True)
    swapped = tmp_path / "swapped.png"
    args = ("swap", "-s", str(sample_path("tom_hanks")), "-t", str(sample_path("tom_hanks")))
    done = run_cli(
        *args, "-o", str(swapped), "--model", "onnx", "--model-path", "my_unet", manager=plugins
    )
    assert done.exit_code == 0, done.output
    assert "1/1 faces swapped" in done.stdout
    stored.write_bytes(stored.read_bytes()[:-1] + b"\0")  # tampered after it was added
    again = run_cli(
        *args, "-o", str(tmp_path / "again.png"), "--model", "onnx", "--model-path", "my_unet",
        manager=plugins,
    )  # fmt: skip
    assert again.exit_code == 5
    assert "model file corrupt" in again.stderr
    assert "faceswap models add my_unet" in again.stderr


# -- batch: dynamic and static ------------------------------------------------------------------


@pytest.fixture(scope="module")
def static_exports(
    run_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[int, tuple[Path, dict[str, Any]]]:
    """``--static --batch 1`` (torchscript, opset 17, CLI) and ``--static --batch 4`` (Python)."""
    folder = tmp_path_factory.mktemp("static")
    one = folder / "b1.onnx"
    args = ("--static", "--batch", "1", "--exporter", "torchscript", "--opset", "17", "--json")
    result = run_cli("export", "onnx", "--run", str(run_dir), "-o", str(one), *args)
    assert result.exit_code == 0, result.output
    four = folder / "b4.onnx"
    with pytest.warns(faceswap.errors.FaceswapWarning, match="out= is deprecated; use output="):
        report = faceswap.export("onnx", run=str(run_dir), out=str(four), static=True, batch=4)
    return {1: (one, last_json(result.stdout)), 4: (four, report.to_dict())}


def test_a_dynamic_batch_export_runs_at_batch_1_and_4(
    exported: tuple[Path, dict[str, Any]], plugins: FaceswapPlugins
) -> None:
    out, summary = exported
    assert declared_batch(out) == ["N", "N", "N", "N"]
    session = build_context(plugins).runtime.load(out)
    for batch in (1, 4):
        target, source = inputs(batch)
        outputs = session.run({"target": target, "source": source})
        assert outputs["output"].shape == (batch, 3, 64, 64)
        assert outputs["mask"].shape == (batch, 1, 64, 64)
        want = torch_reference(Path(summary["checkpoint"]), target, source)
        assert np.abs(outputs["output"] - want).max() < 1e-4


@pytest.mark.parametrize("batch", [1, 4])
def test_a_static_export_fixes_every_dimension_and_runs_its_batch(
    static_exports: dict[int, tuple[Path, dict[str, Any]]],
    plugins: FaceswapPlugins,
    batch: int,
) -> None:
    out, summary = static_exports[batch]
    assert summary["batch"] == batch
    assert summary["max_abs_diff"] <= 1e-3
    assert declared_batch(out) == [batch] * 4
    graph = onnx.load(str(out)).graph
    assert all(d.HasField("dim_value") for v in graph.input for d in v.type.tensor_type.shape.dim)
    session = build_context(plugins).runtime.load(out)
    target, source = inputs(batch)
    outputs = session.run({"target": target, "source": source})
    want = torch_reference(Path(summary["checkpoint"]), target, source)
    assert np.abs(outputs["output"] - want).max() < 1e-4
    wrong = inputs(batch + 1)
    with pytest.raises(ModelFileError, match="invalid dimensions for input: target"):
        session.run({"target": wrong[0], "source": wrong[1]})


def test_the_onnx_swapper_takes_the_batch_1_static_export_and_refuses_batch_4(
    static_exports: dict[int, tuple[Path, dict[str, Any]]], plugins: FaceswapPlugins
) -> None:
    one, summary = static_exports[1]
    assert summary["opset"] == 17
    assert OnnxSwapper(OnnxSwapperConfig(model=str(one)), build_context(plugins)).crop_size == 64
    four, _ = static_exports[4]
    with pytest.raises(ModelFileError, match=r"input 'target' is \[4, 3, 64, 64\]"):
        OnnxSwapper(OnnxSwapperConfig(model=str(four)), build_context(plugins))


# -- fp16 ---------------------------------------------------------------------------------------


def test_fp16_export_keeps_float32_io_and_passes_the_fp16_tolerance(
    run_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "half.onnx"
    result = run_cli("export", "onnx", "--run", str(run_dir), "-o", str(out), "--fp16", "--json")
    assert result.exit_code == 0, result.output
    summary = last_json(result.stdout)
    assert summary["precision"] == "fp16"
    assert summary["atol"] == 1e-2
    # Half-precision weights cannot reproduce fp32 to 1e-5, but stay within the fp16 default.
    assert 1e-5 < summary["max_abs_diff"] <= 1e-2
    model = onnx.load(str(out))
    weights = [init.data_type for init in model.graph.initializer if len(init.dims) == 4]
    assert weights
    assert set(weights) == {onnx.TensorProto.FLOAT16}
    io = [v.type.tensor_type.elem_type for v in (*model.graph.input, *model.graph.output)]
    assert set(io) == {onnx.TensorProto.FLOAT}


# -- bad inputs: one line, an exit code, nothing written ----------------------------------------


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_a_tolerance_failure_exits_5_and_writes_nothing(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "half.onnx"
    args = ("--run", str(run_dir), "-o", str(out), "--fp16", "--atol", "1e-5")
    result = run_cli("export", "onnx", *args)
    assert result.exit_code == 5
    line = one_error_line(result.stderr)
    assert "> atol 1e-05; nothing written" in line
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_a_missing_checkpoint_exits_5(tmp_path: Path) -> None:
    out = tmp_path / "m.onnx"
    missing = tmp_path / "nope.ckpt"
    result = run_cli("export", "onnx", "--checkpoint", str(missing), "-o", str(out))
    assert result.exit_code == 5
    assert one_error_line(result.stderr) == f"Error: --checkpoint {missing}: no such checkpoint"
    assert list(tmp_path.iterdir()) == []


def test_a_checkpoint_of_another_architecture_exits_5(run_dir: Path, tmp_path: Path) -> None:
    other = random_checkpoint(
        tmp_path / "wide.ckpt",
        model=ModelConfig(crop_size=64, base_channels=16, depth=3, bottleneck_blocks=1),
    )
    mixed = tmp_path / "mixed.ckpt"
    shutil.copytree(run_dir / "checkpoints" / "step-00000001.ckpt", mixed)
    shutil.copy(other / "model.safetensors", mixed / "model.safetensors")
    out = tmp_path / "out" / "m.onnx"
    result = run_cli("export", "onnx", "--checkpoint", str(mixed), "-o", str(out))
    assert result.exit_code == 5
    assert "is from a different architecture" in one_error_line(result.stderr)
    assert not out.parent.exists()


def test_an_existing_out_needs_force(exported: tuple[Path, dict[str, Any]], run_dir: Path) -> None:
    out, _ = exported
    before = out.read_bytes(), out.with_name("swapper.export.json").read_bytes()
    result = run_cli("export", "onnx", "--run", str(run_dir), "-o", str(out))
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == f"Error: {out} exists; pass --overwrite to replace it"
    assert (out.read_bytes(), out.with_name("swapper.export.json").read_bytes()) == before
    lone = out.with_name("other.onnx")
    companion_paths(lone)[0].write_bytes(b"a recognizer graph of an earlier export")
    result = run_cli("export", "onnx", "--run", str(run_dir), "-o", str(lone))
    assert result.exit_code == 2
    assert "other.recognizer.onnx exists; pass --overwrite" in one_error_line(result.stderr)
    assert not lone.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"static": True, "dynamic_batch": True}, "--static and --dynamic-batch contradict"),
        ({"batch": 4}, "--batch fixes the batch of a --static export"),
        ({"run": None}, "give the model to export with --run RUN_DIR"),
        ({"checkpoint": "x"}, "not both"),
        ({"opset": 17}, "the dynamo exporter writes opsets 18 to"),
    ],
)
def test_contradictory_options_are_config_errors_in_python_as_on_the_cli(
    run_dir: Path, tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    out = tmp_path / "m.onnx"
    given = {"run": str(run_dir), "output": str(out), **options}
    with pytest.raises(ConfigError, match=message):
        faceswap.export("onnx", **{k: v for k, v in given.items() if v is not None})
    flags = [
        part
        for key, value in given.items()
        if value is not None
        for part in ([f"--{key.replace('_', '-')}"] if value is True else [f"--{key}", str(value)])
    ]
    result = run_cli("export", "onnx", *flags)
    assert result.exit_code == 2
    assert message in one_error_line(result.stderr)
    assert not out.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"crop_size": 100_000}, "crop_size: must be between 32 and 512, got 100000"),
        ({"crop_size": 68}, "crop size 68 is not a multiple of 2 ** depth = 8"),
        ({"template": "../../x"}, "unknown template '../../x'"),
        ({"embedding_dim": "128; rm"}, "state.json embedding_dim '128; rm' is not an integer"),
    ],
)
def test_a_tampered_state_json_is_refused_before_export(
    run_dir: Path, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    checkpoint = tmp_path / "tampered.ckpt"
    shutil.copytree(run_dir / "checkpoints" / "step-00000001.ckpt", checkpoint)
    state = json.loads((checkpoint / "state.json").read_text())
    (checkpoint / "state.json").write_text(json.dumps({**state, **change}))
    out = tmp_path / "out" / "m.onnx"
    result = run_cli("export", "onnx", "--checkpoint", str(checkpoint), "-o", str(out))
    assert result.exit_code == 5
    assert message in one_error_line(result.stderr)
    assert not out.parent.exists()
