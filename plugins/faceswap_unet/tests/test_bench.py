"""``faceswap bench-train`` and ``bench-export`` print their numbers as JSON (never asserted)."""

from __future__ import annotations

import json

import pytest

from .conftest import REPO, run_faceswap

CONFIGS = REPO / "configs" / "face_swap"


def test_bench_train_prints_images_per_second() -> None:
    done = run_faceswap(
        "bench-train",
        "--size",
        "64",
        "--batch",
        "2",
        "--steps",
        "2",
        "--warmup",
        "1",
        "--device",
        "cpu",
    )
    assert done.returncode == 0, done.stderr
    (record,) = json.loads(done.stdout)
    assert record["images_per_s"] > 0
    assert (record["crop_size"], record["batch_size"], record["steps"]) == (64, 2, 2)
    assert record["model"]["parameters"] > 0
    assert "images/s" in done.stderr


def test_bench_export_prints_torch_and_both_exports_latency_with_their_ratios() -> None:
    done = run_faceswap(
        "bench-export", "--arch", "smoke", "--batch", "1", "--batch", "2",
        "--threads", "1", "--repeat", "2", "--warmup", "1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["threads"] == 1
    (arch,) = record["architectures"]
    assert (arch["arch"], arch["crop_size"]) == ("smoke", 64)
    assert arch["inference_form"]  # the export traced the inference form
    assert arch["int8"]["speedup"] > 0
    assert [row["batch"] for row in arch["results"]] == [1, 2]
    runtimes = ("torch", "onnxruntime", "onnxruntime_int8", "onnxruntime_spin")
    for row in arch["results"]:
        for name in runtimes:
            assert row[f"{name}_ms"]["p50"] > 0
        ratio = row["torch_ms"]["p50"] / row["onnxruntime_ms"]["p50"]
        assert row["speedup"] == pytest.approx(ratio, abs=0.011)
        ratio = row["onnxruntime_ms"]["p50"] / row["onnxruntime_int8_ms"]["p50"]
        assert row["int8_speedup"] == pytest.approx(ratio, abs=0.011)
        assert row["max_abs_diff"] < 1e-4  # torch and the fp32 export ran the same model
        assert f"smoke 64 px batch {row['batch']}, 1 threads: torch" in done.stderr


def test_bench_architectures_are_the_shipped_configs_models() -> None:
    """``bench-export``'s smoke and baseline U-Nets are what those configs train."""
    from faceswap_core.config.convert import structure
    from faceswap_core.config.loader import load_config
    from faceswap_unet.bench import ARCHITECTURES
    from faceswap_unet.configs import ModelConfig, TrainConfig
    from faceswap_unet.specs import EXPORT_BENCH_ARCHS

    assert tuple(ARCHITECTURES) == EXPORT_BENCH_ARCHS
    assert ARCHITECTURES["default"] == (ModelConfig(), TrainConfig().recognizer.embedding_dim)
    for name in ("smoke", "baseline"):
        _, raw = load_config(CONFIGS / f"{name}.yaml", check_plugins=False)
        train = {k: v for k, v in raw["train"].items() if k != "type"}
        config = structure(train, TrainConfig)
        assert ARCHITECTURES[name] == (config.model, config.recognizer.embedding_dim), name
