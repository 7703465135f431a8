"""Throughput and per-image overhead of a cluster runner against the local one, in one run.

``faceswap bench --cluster local --workers 1 --workers 2`` swaps one folder of
generated targets with the local runner, then on the cluster with each worker
count, and prints one row per run: wall seconds (workers started and models
loaded included), seconds to the first written output, images per second,
the throughput ratio against local, and the per-image overhead, (wall - local
wall) / images: what the cluster path adds to each image at that worker
count (negative: faster). It prints numbers and asserts nothing.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import cv2
import numpy as np

from faceswap_core.config.schema import PipelineConfig
from faceswap_core.interfaces.jobs import WorkRunner
from faceswap_core.pipeline.batch import SwapOptions, plan_batch, prepare_output_folder, swap_batch
from faceswap_core.pipeline.runner import LocalRunner, cluster_runner
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins
from faceswap_core.tools.samples import load_sample, sample_path

DEFAULT_IMAGES = 24
DEFAULT_TARGET_SIZE = 256


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
    overhead_ms: float = 0.0

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


def time_batch(
    runner: WorkRunner,
    targets: Path,
    out: Path,
    *,
    pipeline: PipelineConfig | None = None,
    plugins: FaceswapPlugins | None = None,
) -> BenchRow:
    """Swap every target on ``runner`` into a fresh ``out``; wall and first-output times."""
    shutil.rmtree(out, ignore_errors=True)
    source = sample_path("tom_hanks")
    plan = plan_batch([targets], out, inputs=[source])
    prepare_output_folder(plan)
    config = pipeline or PipelineConfig()
    started = time.perf_counter()
    run = swap_batch(
        runner,
        plan,
        source,
        pipeline=config,
        options=SwapOptions(model=str(config.swapper.get("type"))),
        plugins=plugins or get_plugins(),
    )
    stamps = [time.perf_counter() for record in run if record.status == "done"]
    seconds = time.perf_counter() - started
    count = len(stamps)
    return BenchRow(
        runner.name,
        runner.workers,
        count,
        round(seconds, 3),
        round(stamps[0] - started, 3) if stamps else float("nan"),
        round(count / seconds, 3),
        run.summary.retries,
    )


def _median(runs: list[BenchRow]) -> BenchRow:
    return sorted(runs, key=lambda row: row.seconds)[len(runs) // 2]


def run_cluster_bench(
    address: str,
    workers: Sequence[int] = (1, 2),
    *,
    images: int = DEFAULT_IMAGES,
    size: int = DEFAULT_TARGET_SIZE,
    repeat: int = 1,
    gpus_per_worker: float | None = None,
    pipeline: PipelineConfig | None = None,
    plugins: FaceswapPlugins | None = None,
    settings: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[BenchRow]:
    """Local, then the cluster at ``address`` with each worker count; medians of ``repeat``.

    The first cluster runner connects (a ``local`` address starts Ray once);
    the others reuse that connection, and it is closed at the end.

    :param settings: more of the cluster runner's settings (``object_store_mb``...).
    """
    manager = plugins or get_plugins()
    say = progress or (lambda _: None)
    rows: list[BenchRow] = []
    with tempfile.TemporaryDirectory(prefix="faceswap-cluster-bench-") as temp:
        root = Path(temp)
        targets = make_targets(root / "targets", images, size)

        def timed(runner: WorkRunner) -> BenchRow:
            return _median(
                [
                    time_batch(runner, targets, root / "out", pipeline=pipeline, plugins=manager)
                    for _ in range(repeat)
                ]
            )

        say(f"local: {images} targets of {size} px")
        local = timed(LocalRunner())
        rows.append(local)
        opened: list[WorkRunner] = []
        try:
            for count in workers or (1,):
                started = time.perf_counter()
                runner = cluster_runner(
                    address,
                    workers=count,
                    gpus_per_worker=gpus_per_worker,
                    plugins=manager,
                    **dict(settings or {}),
                )
                opened.append(runner)
                took = time.perf_counter() - started
                say(f"{address}: {count} worker(s), connected in {took:.1f} s")
                row = timed(runner)
                overhead = (row.seconds - local.seconds) / max(row.images, 1) * 1000.0
                ratio = row.images_per_second / local.images_per_second
                rows.append(
                    attrs.evolve(row, ratio=round(ratio, 3), overhead_ms=round(overhead, 1))
                )
        finally:
            for runner in reversed(opened):  # the first one owns a local instance
                runner.close()
    return rows


def format_rows(rows: Sequence[BenchRow]) -> str:
    """The rows as a table (one line each)."""
    lines = [
        f"{'runner':<6} {'workers':>7} {'images':>6} {'wall s':>8} {'first s':>8} "
        f"{'img/s':>7} {'x local':>7} {'overhead ms/img':>15} {'retries':>7}"
    ]
    for row in rows:
        lines.append(
            f"{row.runner:<6} {row.workers:>7} {row.images:>6} {row.seconds:>8.2f} "
            f"{row.first_seconds:>8.2f} {row.images_per_second:>7.2f} {row.ratio:>7.2f} "
            f"{row.overhead_ms:>15.1f} {row.retries:>7}"
        )
    return "\n".join(lines)


__all__ = [
    "DEFAULT_IMAGES",
    "DEFAULT_TARGET_SIZE",
    "BenchRow",
    "format_rows",
    "make_targets",
    "run_cluster_bench",
    "time_batch",
]
