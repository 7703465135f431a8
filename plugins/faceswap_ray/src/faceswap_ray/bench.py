"""Throughput and per-item overhead of the ``ray`` runner against ``local``, in one run.

``python -m faceswap_ray.bench --images 24 --workers 1 --workers 2`` swaps the
same folder of generated targets with the local runner and then on a Ray
instance started on this machine with 1 and 2 workers, and prints one row per
run: wall seconds (models loaded and workers started included), seconds to
the first written output, images per second, the throughput ratio against
local, and the per-image overhead: (wall - local wall) / images, what the
cluster path adds to each image at that worker count (negative: faster). It
prints numbers and asserts nothing (``faceswap bench --cluster`` will call
:func:`run_bench`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import cv2
import numpy as np

from faceswap_core.interfaces.jobs import WorkRunner
from faceswap_core.pipeline.batch import (
    SwapOptions,
    plan_batch,
    prepare_output_folder,
    swap_batch,
)
from faceswap_core.pipeline.runner import LocalRunner
from faceswap_core.plugin.manager import get_plugins
from faceswap_core.tools.samples import load_sample, sample_path
from faceswap_ray.config import RayRunnerConfig
from faceswap_ray.runner import connect


@attrs.frozen
class BenchRow:
    """One timed batch."""

    runner: str
    workers: int
    images: int
    seconds: float
    first_seconds: float
    images_per_second: float
    retries: int
    ratio: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def make_targets(folder: Path, count: int, size: int) -> Path:
    """``count`` distinct targets: crops of real faces shifted a little each time."""
    folder.mkdir(parents=True, exist_ok=True)
    photos = [load_sample("astronaut")[0:320, 90:410], load_sample("t1")[30:270, 280:620]]
    for index in range(count):
        photo = photos[index % len(photos)]
        shift = (index // len(photos)) % 16
        crop = photo[shift : photo.shape[0] - 16 + shift, shift : photo.shape[1] - 16 + shift]
        image = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
        bgr = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR)
        cv2.imwrite(str(folder / f"target{index:04d}.jpg"), bgr, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return folder


def time_batch(runner: WorkRunner, targets: Path, out: Path, label: str) -> BenchRow:
    """Swap every target on ``runner`` into a fresh ``out``; wall and steady timings."""
    shutil.rmtree(out, ignore_errors=True)
    source = sample_path("tom_hanks")
    plan = plan_batch([targets], out, inputs=[source])
    prepare_output_folder(plan)
    started = time.perf_counter()
    run = swap_batch(
        runner, plan, source, options=SwapOptions(model="classic"), plugins=get_plugins()
    )
    stamps = [time.perf_counter() for record in run if record.status == "done"]
    seconds = time.perf_counter() - started
    count = len(stamps)
    return BenchRow(
        label,
        runner.workers,
        count,
        round(seconds, 3),
        round(stamps[0] - started, 3) if stamps else float("nan"),
        round(count / seconds, 3),
        run.summary.retries,
    )


def run_bench(
    images: int = 24,
    size: int = 256,
    workers: Sequence[int] = (1, 2),
    repeat: int = 1,
    config: RayRunnerConfig | None = None,
) -> list[BenchRow]:
    """Local, then Ray with each worker count on a ``local`` instance; the median of ``repeat``."""
    rows: list[BenchRow] = []
    with tempfile.TemporaryDirectory(prefix="fsray-bench-", dir="/tmp") as temp:
        root = Path(temp)
        targets = make_targets(root / "targets", images, size)
        base = config or RayRunnerConfig(
            address="local", num_cpus=os.cpu_count(), object_store_mb=256, temp_dir=temp
        )

        def median(runs: list[BenchRow]) -> BenchRow:
            return sorted(runs, key=lambda row: row.seconds)[len(runs) // 2]

        local = median(
            [time_batch(LocalRunner(), targets, root / "out", "local") for _ in range(repeat)]
        )
        rows.append(local)
        started = time.perf_counter()
        with connect(base) as cluster:
            startup = time.perf_counter() - started
            print(f"ray: {base.address} instance up in {startup:.1f} s", flush=True)
            for count in workers:
                runner = connect(attrs.evolve(base, workers=count))  # reuses the connection
                row = median(
                    [time_batch(runner, targets, root / "out", "ray") for _ in range(repeat)]
                )
                ratio = row.images_per_second / local.images_per_second
                rows.append(attrs.evolve(row, ratio=round(ratio, 3)))
            del cluster
    return rows


def format_rows(rows: Sequence[BenchRow]) -> str:
    local = rows[0]
    lines = [
        f"{'runner':<6} {'workers':>7} {'images':>6} {'wall s':>8} {'first s':>8} "
        f"{'img/s':>7} {'x local':>7} {'overhead ms/img':>15} {'retries':>7}"
    ]
    for row in rows:
        overhead = (row.seconds - local.seconds) / row.images * 1000.0
        lines.append(
            f"{row.runner:<6} {row.workers:>7} {row.images:>6} {row.seconds:>8.2f} "
            f"{row.first_seconds:>8.2f} {row.images_per_second:>7.2f} {row.ratio:>7.2f} "
            f"{overhead:>15.1f} {row.retries:>7}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m faceswap_ray.bench", description=__doc__)
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--workers", type=int, action="append")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", dest="as_json", action="store_true")
    args = parser.parse_args(argv)
    rows = run_bench(args.images, args.size, args.workers or [1, 2], args.repeat)
    print(format_rows(rows))
    print(
        "overhead = (wall - local wall) / images: what the cluster path adds per image "
        "(worker start and model load, object store, pickling, Ray Data scheduling); "
        f"{os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"
    )
    if args.as_json:
        print(json.dumps([row.to_dict() for row in rows]))


if __name__ == "__main__":
    main()
