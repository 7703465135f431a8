"""``faceswap export``: dispatch to registered exporters, options from config classes, verify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import attrs
import numpy as np
import pytest
from click.testing import Result
from onnx import TensorProto, helper, numpy_helper, save
from tests.integration.conftest import build_faceswap_export

import faceswap
from faceswap_core import BuildContext, Exporter, ExportReport, Register, hookimpl
from faceswap_core.cli.spec_command import ivar_help, options_for
from faceswap_core.errors import (
    RuntimeUnavailableError,
    UnknownComponentError,
)
from faceswap_core.export.run import run_export
from faceswap_core.export.verify import VerificationError, compare_outputs, verify
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.runtime.onnxruntime import OnnxRuntime
from faceswap_core.testing import isolated_plugins, run_cli


@attrs.frozen
class CopyConfig:
    """Copy a file, optionally upper-casing it.

    :ivar src: the file to copy.
    :ivar out: where to write it;
        continued on a second line.
    :ivar mode: ``plain`` or ``upper``.
    :ivar tags: labels to record.
    :ivar check: verify the copy.
    :ivar force: overwrite.
    """

    src: str
    out: str = "copy.txt"
    mode: Literal["plain", "upper"] = "plain"
    tags: list[str] = attrs.field(factory=list)
    check: bool = True
    force: bool = False
    retries: int = 2


class CopyExporter:
    def __init__(self, config: CopyConfig) -> None:
        self.config = config

    def export(self) -> ExportReport:
        text = Path(self.config.src).read_text()
        out = Path(self.config.out)
        out.write_text(text.upper() if self.config.mode == "upper" else text)
        return ExportReport(
            out,
            {"mode": self.config.mode, "tags": self.config.tags, "check": self.config.check},
            ("copied",),
        )


class CopyPlugin:
    @hookimpl
    def register_exporters(self, register: Register[Exporter]) -> None:
        register("copy", self._build, config=CopyConfig)

    def _build(self, config: CopyConfig, context: BuildContext) -> Exporter:
        return CopyExporter(config)


@pytest.fixture
def plugins() -> FaceswapPlugins:
    manager = FaceswapPlugins(load_entry_points=False, strict=True)
    manager.register(CopyPlugin(), name="copy-plugin")
    return manager


def test_help_text_comes_from_ivar_lines() -> None:
    helps = ivar_help(CopyConfig)
    assert helps["out"] == "where to write it; continued on a second line."
    assert helps["mode"] == "``plain`` or ``upper``."
    assert "retries" not in helps
    options = {o.name: o for o in options_for(CopyConfig)}
    assert options["src"].required
    assert options["tags"].multiple
    assert options["check"].secondary_opts == ["--no-check"]
    assert options["force"].is_flag
    assert options["force"].secondary_opts == []
    assert list(options["mode"].type.choices) == ["plain", "upper"]  # type: ignore[attr-defined]


def test_an_exporter_runs_with_its_options_from_cli_and_python(
    plugins: FaceswapPlugins, tmp_path: Path
) -> None:
    src = tmp_path / "a.txt"
    src.write_text("hello")
    out = tmp_path / "b.txt"
    result = run_cli(
        "export", "copy", "--src", str(src), "--out", str(out), "--mode", "upper",
        "--tags", "x", "--tags", "y", "--no-check", "--json", manager=plugins,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == "copied"  # notes go to stderr with --json
    (line,) = result.stdout.splitlines()  # stdout holds only JSON Lines
    assert json.loads(line) == {
        "summary": {"out": str(out), "mode": "upper", "tags": ["x", "y"], "check": False}
    }
    assert out.read_text() == "HELLO"
    report = run_export("copy", {"src": str(src), "out": str(out), "tags": ("z",)}, plugins=plugins)
    assert report.to_dict() == {"out": str(out), "mode": "plain", "tags": ["z"], "check": True}


def test_bad_exporter_options_are_usage_errors(plugins: FaceswapPlugins, tmp_path: Path) -> None:
    result = run_cli("export", "copy", "--out", "x", manager=plugins)
    assert result.exit_code == 2
    assert "Missing option '--src'" in result.stderr
    result = run_cli("export", "copy", "--src", "a", "--mode", "lower", manager=plugins)
    assert result.exit_code == 2


def test_unknown_exporters_list_what_exists(plugins: FaceswapPlugins) -> None:
    result = run_cli("export", "onnx", "--out", "m.onnx", manager=plugins)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: unknown exporter 'onnx'. Available: copy.")
    result = run_cli("export", "--help", manager=plugins)
    assert result.exit_code == 0
    assert "copy" in result.stdout
    assert "verify" in result.stdout


def test_an_installed_but_unloaded_exporter_says_so() -> None:
    manager = isolated_plugins()
    result = run_cli("export", "tensorrt", "--onnx", "m.onnx", manager=manager)
    assert result.exit_code == 2
    assert "unknown exporter 'tensorrt'" in result.stderr
    assert "It comes from faceswap-trt, which is installed but not loaded" in result.stderr
    with pytest.raises(UnknownComponentError, match="It comes from faceswap-trt"):
        run_export("tensorrt", {"onnx": "m.onnx"}, plugins=manager)


def test_python_api_export_mirrors_the_cli(tmp_path: Path) -> None:
    model, _ = build_faceswap_export(tmp_path / "m.onnx")
    with pytest.raises(UnknownComponentError, match="unknown exporter 'nope'"):
        faceswap.export("nope", onnx=str(model))
    from faceswap_trt.device import probe

    if probe().ok:
        pytest.skip("TensorRT and a CUDA GPU are present: the unavailable path cannot be seen")
    with pytest.raises(RuntimeUnavailableError, match="On the target device run: trtexec"):
        faceswap.export("tensorrt", onnx=str(model), output=str(tmp_path / "m.engine"))
    assert not (tmp_path / "m.engine").exists()


# -- verify ----------------------------------------------------------------------------------


def _shifted(source: Path, path: Path, shift: float) -> Path:
    """``source`` with ``shift`` added to its ``output``: a candidate that is exactly off."""
    import onnx

    model = onnx.load(str(source))
    for node in model.graph.node:
        for i, name in enumerate(node.output):
            if name == "output":
                node.output[i] = "output_raw"
    model.graph.node.append(helper.make_node("Add", ["output_raw", "shift"], ["output"]))
    model.graph.initializer.append(numpy_helper.from_array(np.array(shift, np.float32), "shift"))
    save(model, str(path))
    return path


def _verify(*args: str) -> Result:
    return run_cli("export", "verify", *args, manager=FaceswapPlugins(strict=True))


def test_verify_passes_a_runtime_against_itself(tmp_path: Path) -> None:
    model, _ = build_faceswap_export(tmp_path / "m.onnx")
    result = _verify("--onnx", str(model), "--runtime", "onnxruntime", "--batch", "3", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.splitlines()[-1])["summary"]
    assert record["passed"] is True
    assert record["max_abs_diff"] == 0.0
    assert record["inputs"] == {"target": [3, 3, 112, 112], "source": [3, 128]}
    assert [o["name"] for o in record["outputs"]] == ["output", "mask"]


def test_verify_measures_and_fails_a_shifted_candidate(tmp_path: Path) -> None:
    model, _ = build_faceswap_export(tmp_path / "m.onnx")
    candidate = _shifted(model, tmp_path / "shifted.onnx", 0.25)
    result = _verify(
        "--onnx", str(model), "--engine", str(candidate), "--runtime", "onnxruntime", "--json"
    )
    assert result.exit_code == 5
    record = json.loads(result.stdout.splitlines()[-1])["summary"]
    output, mask = record["outputs"]
    assert output["max_abs_diff"] == pytest.approx(0.25, abs=1e-6)
    assert output["mean_abs_diff"] == pytest.approx(0.25, abs=1e-6)
    assert output["ok"] is False
    assert mask["max_abs_diff"] == 0.0
    assert result.stderr.strip() == (
        "Error: onnxruntime differs from onnxruntime: output 'output' max abs diff 0.25 > atol 0.01"
    )
    ok = _verify("--onnx", str(model), "--engine", str(candidate), "--runtime", "onnxruntime",
                 "--atol", "0.3")  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "output [1, 3, 112, 112]: max abs diff 0.25, mean abs diff 0.25 (ok)" in ok.stdout


def test_verify_reads_inputs_from_npz(tmp_path: Path) -> None:
    model, _ = build_faceswap_export(tmp_path / "m.onnx")
    target = np.zeros((1, 3, 112, 112), np.float32)
    source = np.zeros((1, 128), np.float32)
    np.savez(tmp_path / "in.npz", target=target, source=source)
    runtime = OnnxRuntime()
    report = verify(model, reference=runtime, candidate=runtime, inputs_file=tmp_path / "in.npz")
    assert report.passed
    np.savez(tmp_path / "partial.npz", target=target)
    result = _verify("--onnx", str(model), "--runtime", "onnxruntime",
                     "--inputs", str(tmp_path / "partial.npz"))  # fmt: skip
    assert result.exit_code == 3
    assert "has no array for source" in result.stderr


def test_verify_refuses_a_candidate_that_fell_back(tmp_path: Path) -> None:
    from faceswap_trt.device import probe

    if probe().ok:
        pytest.skip("TensorRT and a CUDA GPU are present: tensorrt does not fall back here")
    model, _ = build_faceswap_export(tmp_path / "m.onnx")
    result = _verify("--onnx", str(model))
    assert "Warning: tensorrt runtime falls back to onnxruntime" in result.stderr
    assert result.exit_code == 2
    assert "the candidate runtime tensorrt is not usable here" in result.stderr


@pytest.mark.parametrize(
    ("got", "max_diff", "mean_diff", "ok"),
    [
        ([[1.0, 2.0], [3.0, 4.0]], 0.0, 0.0, True),
        ([[1.0, 2.5], [3.0, 3.0]], 1.0, 0.375, False),
        ([[1.005, 2.0], [3.0, 4.0]], 0.005, 0.00125, True),
        ([[np.nan, 2.0], [3.0, 4.0]], float("inf"), float("inf"), False),
    ],
)
def test_compare_outputs_by_hand(got: Any, max_diff: float, mean_diff: float, ok: bool) -> None:
    want = {"y": np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)}
    (diff,) = compare_outputs(want, {"y": np.array(got, np.float32)}, atol=0.01)
    assert diff.max_abs_diff == pytest.approx(max_diff, rel=1e-5)
    assert diff.mean_abs_diff == pytest.approx(mean_diff, rel=1e-5)
    assert diff.ok is ok


def test_compare_outputs_refuses_other_shapes_and_missing_outputs() -> None:
    want = {"y": np.zeros((2, 2), np.float32)}
    with pytest.raises(VerificationError, match=r"shape \[4\] from the candidate"):
        compare_outputs(want, {"y": np.zeros(4, np.float32)}, atol=0.1)
    with pytest.raises(VerificationError, match="no output 'y'"):
        compare_outputs(want, {"z": np.zeros((2, 2), np.float32)}, atol=0.1)


def test_verify_dynamic_dims_need_shapes(tmp_path: Path) -> None:
    graph = helper.make_graph(
        [helper.make_node("Relu", ["input"], ["out"])],
        "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["N", 3, "H", "W"])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    save(model, str(tmp_path / "d.onnx"))
    result = _verify("--onnx", str(tmp_path / "d.onnx"), "--runtime", "onnxruntime")
    assert result.exit_code == 2
    assert "give its shape with --shape input:Nx3xNxN" in result.stderr
    result = _verify("--onnx", str(tmp_path / "d.onnx"), "--runtime", "onnxruntime",
                     "--shape", "input:2x3x8x8", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[-1])["summary"]["inputs"] == {
        "input": [2, 3, 8, 8]
    }
