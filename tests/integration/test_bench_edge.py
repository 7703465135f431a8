"""``faceswap bench`` on edge terms: --runtime, --profile jetson, cold vs warm, GPU memory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.testing import run_cli
from faceswap_core.tools.gpu import GpuMemoryMonitor, GpuProbe
from faceswap_core.tools.profiles import PROFILES, check_profile, verdict


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


@pytest.fixture(scope="module")
def jetson_run(plugins: FaceswapPlugins) -> Result:
    return run_cli(
        "bench", "--profile", "jetson", "--repeat", "1", "--warmup", "0", "--json",
        manager=plugins,
    )  # fmt: skip


def summary_of(result: Result) -> dict[str, Any]:
    """The record: the last JSON line (``{"summary": RECORD}``) of ``--json``."""
    record: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])["summary"]
    return record


def test_jetson_profile_runs_the_pipeline_and_reports_each_criterion(jetson_run: Result) -> None:
    from faceswap_trt.device import probe

    assert jetson_run.exit_code == 0, jetson_run.output
    record = summary_of(jetson_run)
    assert record["size"] == "1280x720"
    assert record["faces_found"] == 1
    assert record["cold"]["setup_ms"] > 0
    assert record["cold"]["first_frame_ms"] > 0
    assert record["runtime"]["runtime"] == "tensorrt"
    profile = record["profile"]
    assert profile["name"] == "jetson"
    names = [c["name"] for c in profile["criteria"]]
    assert names == ["runtime", "fps", "gpu_memory"]
    if probe().ok:
        return  # on a GPU the criteria are checked for real; the numbers decide
    assert record["runtime"]["fallback"] is True
    assert record["runtime"]["fallback_runtime"] == "onnxruntime"
    # The CLI shows the fallback warning to the user as one line.
    warnings = [line for line in jetson_run.stderr.splitlines() if line.startswith("Warning:")]
    assert any("tensorrt runtime falls back to onnxruntime" in line for line in warnings)
    assert record["gpu"] is None or record["gpu"]["peak_memory_mb"] is not None
    assert profile["passed"] is None
    assert all(c["passed"] is None for c in profile["criteria"])
    fps = next(c for c in profile["criteria"] if c["name"] == "fps")
    assert fps["measured"] == f"{record['fps']:.1f} FPS"
    assert "the target is for tensorrt on the GPU" in fps["note"]


def test_profile_fixes_size_and_runtime(plugins: FaceswapPlugins) -> None:
    result = run_cli("bench", "--profile", "jetson", "--size", "320x240", manager=plugins)
    assert result.exit_code == 2
    assert result.stderr == "Error: --profile jetson sets --size; drop one of them\n"
    result = run_cli("bench", "--profile", "nano", manager=plugins)
    assert result.exit_code == 2


def test_detect_every_runs_the_tracked_path(plugins: FaceswapPlugins) -> None:
    """Detection on frame 0 only of five: the detect stage's median is 0, the tracker's is not."""
    args = ("bench", "--size", "320x240", "--repeat", "5", "--warmup", "0", "--json")
    tracked = summary_of(run_cli(*args, "--detect-every", "5", manager=plugins))
    assert tracked["detect_every"] == 5
    assert list(tracked["stages"]) == [
        "decode", "detect", "track", "select", "landmarks", "align", "swap", "paste", "encode",
    ]  # fmt: skip
    assert tracked["stages"]["detect"]["p50_ms"] == 0.0  # 4 of 5 frames were tracked
    assert tracked["stages"]["detect"]["p99_ms"] > 0.0  # frame 0 was detected
    assert tracked["stages"]["track"]["p50_ms"] > 0.0
    assert tracked["faces_found"] == 1
    assert tracked["stages"]["swap"]["p50_ms"] > 0.0  # the tracked face is swapped
    every = summary_of(run_cli(*args, manager=plugins))
    assert every["stages"]["detect"]["p50_ms"] > 0.0
    assert "track" not in every["stages"]


def test_the_video_bench_refuses_what_it_cannot_honour(plugins: FaceswapPlugins) -> None:
    cases = [
        (["--video", "--repeat", "3"], "--repeat applies to the image bench"),
        (["--video", "--warmup", "1"], "--warmup applies to the image bench"),
        (["--video", "--baseline", "b.json"], "--baseline applies to the image bench"),
        (["--video", "--tolerance", "1"], "--tolerance applies to the image bench"),
        (["--frames", "20"], "--frames sets the clip length of --video"),
        (["--tolerance", "1"], "--tolerance needs --baseline"),
        (["--profile", "jetson", "--runtime", "onnxruntime"], "--profile jetson sets --runtime"),
    ]
    for args, message in cases:
        result = run_cli("bench", *args, manager=plugins)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith(f"Error: {message}"), (args, result.stderr)


def test_the_baseline_gate_is_exit_6(plugins: FaceswapPlugins, tmp_path: Path) -> None:
    from faceswap_core.tools.bench import STAGES
    from faceswap_core.tools.bench_compare import REFERENCE_NAME

    def baseline(ratio: float) -> Path:
        path = tmp_path / f"baseline-{ratio}.json"
        ratios = {stage: ratio for stage in (*STAGES, "total")}
        path.write_text(
            json.dumps(
                {
                    "schema": 1,
                    "reference": {"name": REFERENCE_NAME, "p50_ms": 10.0},
                    "ratios": ratios,
                }
            )
        )
        return path

    args = ("bench", "--size", "160x120", "--repeat", "2", "--warmup", "0")
    # a baseline where every stage took a millionth of the reference: everything regressed
    slower = run_cli(*args, "--baseline", str(baseline(1e-6)), manager=plugins)
    assert slower.exit_code == 6, slower.output
    error = slower.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: ")
    assert "more than 2x slower than the baseline" in error
    assert "total" in error
    # the same baseline with room enough for anything: passes, and --json has the gate
    lenient = run_cli(
        *args, "--baseline", str(baseline(1e-6)), "--tolerance", "1e12", "--json", manager=plugins
    )
    assert lenient.exit_code == 0, lenient.output
    assert summary_of(lenient)["gate"]["passed"] is True
    faster = run_cli(*args, "--baseline", str(baseline(1e6)), manager=plugins)
    assert faster.exit_code == 0, faster.output


def _record(runtime: dict[str, Any], fps: float, peak: float | None) -> dict[str, Any]:
    gpu = None if peak is None else {"device": "NVIDIA Orin", "peak_memory_mb": peak}
    return {"runtime": runtime, "fps": fps, "gpu": gpu, "device": "cpu"}


ON_TRT = {"runtime": "tensorrt", "precision": "fp16", "fallback": False, "engines": {}}


@pytest.mark.parametrize(
    ("runtime", "fps", "peak", "expected", "overall"),
    [
        (ON_TRT, 31.0, 1200.0, [True, True, True], True),
        (ON_TRT, 29.9, 1200.0, [True, False, True], False),
        (ON_TRT, 45.0, 1600.0, [True, True, False], False),
        (ON_TRT, 45.0, None, [True, True, None], None),
        ({**ON_TRT, "engines": {"m": {"precision": "fp32"}}}, 45.0, 100.0, [None, None, None],
         None),
        ({"runtime": "tensorrt", "fallback": True, "fallback_runtime": "onnxruntime",
          "reason": "no GPU"}, 99.0, None, [None, None, None], None),
        ({"runtime": "onnxruntime", "fallback": False}, 99.0, 10.0, [None, None, None], None),
    ],
)  # fmt: skip
def test_criteria_by_hand(
    runtime: dict[str, Any],
    fps: float,
    peak: float | None,
    expected: list[bool | None],
    overall: bool | None,
) -> None:
    criteria = check_profile(PROFILES["jetson"], _record(runtime, fps, peak))
    assert [c.passed for c in criteria] == expected
    assert verdict(criteria) is overall


def test_criterion_lines_show_target_and_measurement() -> None:
    criteria = check_profile(PROFILES["jetson"], _record(ON_TRT, 12.5, 2048.0))
    assert [c.line() for c in criteria] == [
        "PASS        runtime: target tensorrt fp16, measured tensorrt fp16",
        "FAIL        fps: target >= 30 FPS, measured 12.5 FPS",
        "FAIL        gpu_memory: target <= 1536 MB, measured 2048 MB",
    ]


def test_gpu_monitor_keeps_the_peak_of_its_samples() -> None:
    values: Iterator[int] = iter([100 << 20, 700 << 20, 300 << 20] + [200 << 20] * 10_000)

    def sample() -> int:
        return next(values)

    with GpuMemoryMonitor(interval_s=0.001, probe=GpuProbe("test GPU", "test", sample)) as gpu:
        import time

        time.sleep(0.05)
    assert gpu.peak_mb == 700.0
    assert gpu.record() == {"device": "test GPU", "peak_memory_mb": 700.0, "method": "test"}
    with GpuMemoryMonitor(probe="no CUDA GPU") as none:
        pass
    assert none.peak_mb is None
    assert none.record() is None
    assert none.reason == "no CUDA GPU"


def test_the_edge_config_validates_against_the_installed_plugins(plugins: FaceswapPlugins) -> None:
    from faceswap_core.config.loader import load_config
    from faceswap_core.plugin.references import validate_components

    edge = Path(__file__).resolve().parents[2] / "configs" / "face_swap" / "export_edge.yaml"
    config, _ = load_config(edge)
    assert config.pipeline.runtime["type"] == "tensorrt"
    assert config.pipeline.runtime["fallback"] == {
        "type": "onnxruntime",
        "providers": ["cuda", "cpu"],
    }
    resolved = validate_components(config, plugins)
    runtime = resolved["$.pipeline.runtime"]
    assert (runtime.precision, runtime.max_batch, runtime.strict) == ("fp16", 1, False)
