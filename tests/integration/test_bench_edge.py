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


def test_jetson_profile_runs_the_pipeline_and_reports_each_criterion(jetson_run: Result) -> None:
    from faceswap_trt.device import probe

    assert jetson_run.exit_code == 0, jetson_run.output
    record = json.loads(jetson_run.stdout)
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


def test_detect_every_waits_for_video_tracking(plugins: FaceswapPlugins) -> None:
    result = run_cli(
        "bench", "--size", "160x120", "--repeat", "1", "--detect-every", "3", manager=plugins
    )
    assert result.exit_code == 2
    assert "--detect-every 3 needs video tracking" in result.stderr


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
