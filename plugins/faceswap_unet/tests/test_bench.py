"""``faceswap bench-train`` and ``bench-export`` print their numbers as JSON (never asserted)."""

from __future__ import annotations

import json

from .conftest import run_faceswap


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


def test_bench_export_prints_torch_and_onnxruntime_latency_with_their_ratio() -> None:
    done = run_faceswap(
        "bench-export", "--size", "64", "--batch", "1", "--batch", "2",
        "--threads", "1", "--repeat", "2", "--warmup", "1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert (record["crop_size"], record["threads"]) == (64, 1)
    assert [row["batch"] for row in record["results"]] == [1, 2]
    for row in record["results"]:
        torch_ms, ort_ms = row["torch_ms"]["p50"], row["onnxruntime_ms"]["p50"]
        assert torch_ms > 0
        assert ort_ms > 0
        assert row["speedup"] == round(torch_ms / ort_ms, 2)
        assert row["max_abs_diff"] < 1e-4  # both runtimes ran the same model
        assert f"batch {row['batch']}, 1 threads: torch" in done.stderr
