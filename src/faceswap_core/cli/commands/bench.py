"""``faceswap bench``: per-stage latency table (or JSON Lines) of the swap pipeline, or of the
video path with ``--video``; an edge profile's verdict; the regression gate on a baseline."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.jsonlines import emit, emit_summary
from faceswap_core.cli.options import write_record
from faceswap_core.cli.spec_command import spec_command
from faceswap_core.errors import BenchTargetError, ConfigError, RegressionError
from faceswap_core.io.atomic import refuse_special
from faceswap_core.operations.bench import BENCH, BenchSpec
from faceswap_core.pipeline.settings import QualityOptions, spec_pipeline
from faceswap_core.tools import video_bench
from faceswap_core.tools.bench import DEFAULT_SIZE, BenchOptions, parse_size, run_bench
from faceswap_core.tools.bench_compare import BenchCompareError, gate, regression_message
from faceswap_core.tools.bench_compare import report as gate_table
from faceswap_core.tools.cluster_bench import (
    DEFAULT_IMAGES,
    DEFAULT_TARGET_SIZE,
    format_rows,
    run_cluster_bench,
)
from faceswap_core.tools.profiles import EdgeProfile, check_profile, profile_named, verdict
from faceswap_core.tools.video_bench import DEFAULT_DETECT_EVERY, DEFAULT_FRAMES

DEFAULT_REPEAT = 20
DEFAULT_WARMUP = 3


def _print_table(record: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"faceswap bench {record['size']}, {record['faces']} face(s), {record['model']}"
        + (f", detect every {record['detect_every']}" if record["detect_every"] != 1 else "")
    )
    table.add_column("stage")
    for column in ("p50 ms", "p95 ms", "p99 ms", "mean ms"):
        table.add_column(column, justify="right")
    for stage, row in record["stages"].items():
        table.add_row(stage, *(f"{row[k]:.2f}" for k in ("p50_ms", "p95_ms", "p99_ms", "mean_ms")))
    total = record["total"]
    table.add_row(
        "[bold]total[/]",
        *(f"[bold]{total[k]:.2f}[/]" for k in ("p50_ms", "p95_ms", "p99_ms", "mean_ms")),
    )
    console = Console(stderr=False)
    console.print(table)
    console.print(
        f"FPS {record['fps']}  faces found {record['faces_found']}/{record['faces']}"
        f"  repeat {record['repeat']} (+{record['warmup']} warmup)"
    )
    quality = record.get("quality") or {}
    per_face = ", ".join(f"{k} {v:.2f}" for k, v in (quality.get("per_face_ms") or {}).items())
    console.print(
        f"pixel boost {quality.get('pixel_boost')}, mask {','.join(quality.get('mask') or [])}, "
        f"enhancer {quality.get('enhancer') or 'none'}; ms per face: {per_face}"
    )
    console.print(
        f"device {record['device']}, {record['threads']} threads,"
        f" peak RSS {record['peak_rss_mb']} MB"
    )
    gpu = record.get("gpu")
    if gpu:
        console.print(f"GPU {gpu['device']}, peak GPU memory {gpu['peak_memory_mb']} MB")
    runtime = record.get("runtime") or {}
    active = runtime.get("active") or runtime.get("fallback_runtime") or ""
    console.print(
        f"runtime {runtime.get('runtime')}{f' ({active})' if active else ''};"
        f" cold: setup {record['cold']['setup_ms']:.0f} ms,"
        f" first frame {record['cold']['first_frame_ms']:.1f} ms"
    )
    versions = ", ".join(f"{k} {v}" for k, v in record["versions"].items() if v)
    console.print(f"versions: {versions}", soft_wrap=True)


def _profile(spec: BenchSpec) -> EdgeProfile | None:
    return profile_named(spec.profile) if spec.profile is not None else None


def _size(spec: BenchSpec, edge: EdgeProfile | None) -> tuple[int, int]:
    return parse_size(edge.size if edge is not None else spec.size or DEFAULT_SIZE)


def _runtime(spec: BenchSpec, edge: EdgeProfile | None) -> Any:
    return dict(edge.runtime) if edge is not None else spec.runtime


def _verdict(edge: EdgeProfile | None, record: dict[str, Any], as_json: bool) -> None:
    """The profile's criteria into the record, printed; a failed budget raises (exit 1)."""
    if edge is None:
        return
    criteria = check_profile(edge, record)
    record["profile"] = {
        "name": edge.name,
        "summary": edge.summary,
        "passed": verdict(criteria),
        "criteria": [c.to_dict() for c in criteria],
    }
    if not as_json:
        click.echo(f"profile {edge.name}: {edge.summary}")
        for criterion in criteria:
            click.echo(f"  {criterion.line()}")


def _fail_budgets(edge: EdgeProfile | None, record: dict[str, Any]) -> None:
    failed = [c for c in (record.get("profile") or {}).get("criteria", []) if c["passed"] is False]
    if edge is not None and failed:
        raise BenchTargetError(
            f"profile {edge.name}: "
            + "; ".join(f"{c['name']} {c['measured']} misses {c['target']}" for c in failed)
        )


def _video(ctx: click.Context, spec: BenchSpec) -> None:
    edge = _profile(spec)
    width, height = _size(spec, edge)
    every = (spec.detect_every,) if spec.detect_every is not None else DEFAULT_DETECT_EVERY
    options = video_bench.VideoBenchOptions(
        width=width,
        height=height,
        frames=spec.frames or DEFAULT_FRAMES,
        detect_every=every,
        model=spec.model,
        model_path=spec.model_path,
        config=spec.config,
        faces=spec.faces,
        runtime=_runtime(spec, edge),
        providers=spec.providers,
        overrides=spec.overrides,
        swap_batch=spec.swap_batch,
        quality=QualityOptions.of(spec),
    )
    record = video_bench.run_video_bench(
        options,
        plugins=plugins_from(ctx),
        progress=None if spec.json else lambda step: click.echo(f"bench: {step}", err=True),
    )
    if not spec.json:
        video_bench.print_table(record)
    _verdict(edge, record, spec.json)
    write_record(record, Path(spec.output) if spec.output else None)
    if spec.json:
        for run in record["runs"]:
            emit({"path": "video", **run})
        emit({"path": "stream", **record["stream"]})
        emit_summary(record)
    _fail_budgets(edge, record)


def _cluster(ctx: click.Context, spec: BenchSpec) -> None:
    """The same folder with the local runner and on the cluster; one row per run."""
    size = parse_size(spec.size)[0] if spec.size is not None else DEFAULT_TARGET_SIZE
    rows = run_cluster_bench(
        str(spec.cluster),
        spec.workers or (1,),
        images=spec.images or DEFAULT_IMAGES,
        size=size,
        repeat=spec.repeat or 1,
        gpus_per_worker=spec.gpus_per_worker,
        pipeline=spec_pipeline(spec),
        plugins=plugins_from(ctx),
        progress=None if spec.json else lambda step: click.echo(f"bench: {step}", err=True),
    )
    record = {
        "cluster": spec.cluster,
        "cpus": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "runs": [row.to_dict() for row in rows],
    }
    write_record(record, Path(spec.output) if spec.output else None)
    if spec.json:
        for row in rows:
            emit(row.to_dict())
        emit_summary(record)
        return
    click.echo(format_rows(rows))
    click.echo(
        "overhead = (wall - local wall) / images: what the cluster adds per image (workers "
        f"started, models loaded, object store, scheduling); {os.cpu_count()} CPUs here"
    )


def run(ctx: click.Context, spec: BenchSpec) -> None:
    """The image bench (or ``--video``), a profile's verdict, then the baseline gate."""
    if spec.output is not None:
        refuse_special(Path(spec.output))  # a device, FIFO, socket or symlink: refused now
    if spec.video:
        _video(ctx, spec)
        return
    if spec.cluster is not None:
        _cluster(ctx, spec)
        return
    edge = _profile(spec)
    width, height = _size(spec, edge)
    baseline = _read_baseline(spec.baseline) if spec.baseline is not None else None
    repeat = spec.repeat or DEFAULT_REPEAT
    warmup = DEFAULT_WARMUP if spec.warmup is None else spec.warmup
    options = BenchOptions(
        width=width,
        height=height,
        faces=spec.faces,
        repeat=repeat,
        warmup=warmup,
        model=spec.model,
        model_path=spec.model_path,
        config=spec.config,
        runtime=_runtime(spec, edge),
        providers=spec.providers,
        detect_every=spec.detect_every or 1,
        overrides=spec.overrides,
        quality=QualityOptions.of(spec),
    )
    progress = None
    bar = None
    if not spec.json and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=repeat + warmup, desc="bench", unit="frame", file=sys.stderr, leave=False)

        def progress(done: int, _total: int) -> None:
            assert bar is not None
            bar.update(done - bar.n)

    try:
        record = run_bench(options, plugins=plugins_from(ctx), progress=progress)
    finally:
        if bar is not None:
            bar.close()
    if not spec.json:
        _print_table(record)
    _verdict(edge, record, spec.json)
    result = None
    if baseline is not None:
        try:
            changes, result = gate(
                record, baseline, spec.tolerance, baseline_name=str(spec.baseline)
            )
        except BenchCompareError as exc:
            raise ConfigError(f"--baseline {spec.baseline}: {exc}") from None
        record["gate"] = result.to_dict()
        if not spec.json:
            click.echo(gate_table(changes))
    write_record(record, Path(spec.output) if spec.output else None)
    if spec.json:
        for stage, row in record["stages"].items():
            emit({"stage": stage, **row})
        emit({"stage": "total", **record["total"]})
        emit_summary(record)
    _fail_budgets(edge, record)
    if result is not None and not result.passed:
        raise RegressionError(regression_message(result))


def _read_baseline(path: str) -> dict[str, Any]:
    """A baseline of ratios (benchmarks/baseline.json) or an earlier bench record."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--baseline {path}: cannot read it as JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"--baseline {path}: expected a JSON object (a baseline of ratios)")
    return data


command = spec_command(BENCH, run)
