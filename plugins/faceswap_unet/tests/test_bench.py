"""``faceswap bench-train`` prints training throughput as JSON (printed, never asserted)."""

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
