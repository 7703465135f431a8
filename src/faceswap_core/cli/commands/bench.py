"""``faceswap bench``: per-stage latency table (or JSON record) of the swap pipeline."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.io.atomic import atomic_write_text
from faceswap_core.tools import video_bench
from faceswap_core.tools.bench import DEFAULT_SIZE, STAGES, BenchOptions, parse_size, run_bench


def _print_table(record: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"faceswap bench {record['size']}, {record['faces']} face(s), {record['model']}"
    )
    table.add_column("stage")
    for column in ("p50 ms", "p95 ms", "p99 ms", "mean ms"):
        table.add_column(column, justify="right")
    for stage in STAGES:
        row = record["stages"][stage]
        table.add_row(stage, *(f"{row[k]:.2f}" for k in ("p50_ms", "p95_ms", "p99_ms", "mean_ms")))
    total = record["total"]
    table.add_row(
        "[bold]total[/]",
        *(f"[bold]{total[k]:.2f}[/]" for k in ("p50_ms", "p95_ms", "p99_ms", "mean_ms")),
    )
    console = Console()
    console.print(table)
    console.print(
        f"FPS {record['fps']}  faces found {record['faces_found']}/{record['faces']}"
        f"  repeat {record['repeat']} (+{record['warmup']} warmup)"
    )
    console.print(
        f"device {record['device']}, {record['threads']} threads,"
        f" peak RSS {record['peak_rss_mb']} MB"
    )
    versions = ", ".join(f"{k} {v}" for k, v in record["versions"].items() if v)
    console.print(f"versions: {versions}", soft_wrap=True)


def _video(
    ctx: click.Context, options: video_bench.VideoBenchOptions, as_json: bool, output: Path | None
) -> None:
    record = video_bench.run_video_bench(
        options,
        plugins=plugins_from(ctx),
        progress=None if as_json else lambda step: click.echo(f"bench: {step}", err=True),
    )
    text = json.dumps(record, indent=2)
    if output is not None:
        atomic_write_text(output, text + "\n")
    if as_json:
        click.echo(text)
    else:
        video_bench.print_table(record)


@click.command("bench")
@click.option("--size", default=DEFAULT_SIZE, show_default=True, help="Frame WIDTHxHEIGHT.")
@click.option("--faces", type=int, default=1, show_default=True, help="Faces placed in the frame.")
@click.option("--repeat", type=int, default=20, show_default=True, help="Timed iterations.")
@click.option("--warmup", type=int, default=3, show_default=True, help="Untimed iterations first.")
@click.option(
    "--model", default=None, help="Swapper: classic (default), inswapper, onnx, or a plugin's."
)
@click.option(
    "--model-path", default=None, help="Model file (or model-store name) for inswapper/onnx."
)
@click.option("--config", default=None, help="YAML config file (its pipeline section is used).")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON record instead of a table.")
@click.option(
    "--video", is_flag=True, help="Benchmark the video path (detect every 1 and 5, and stream)."
)
@click.option("--frames", type=int, default=100, show_default=True, help="Clip length (--video).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the JSON record to this file (atomically).",
)
@click.pass_context
def command(
    ctx: click.Context,
    size: str,
    faces: int,
    repeat: int,
    warmup: int,
    model: str | None,
    model_path: str | None,
    config: str | None,
    as_json: bool,
    video: bool,
    frames: int,
    output: Path | None,
) -> None:
    """Per-stage latency (decode, detect, landmarks, align, swap, paste, encode) and FPS."""
    width, height = parse_size(size)
    if video:
        clip = video_bench.VideoBenchOptions(
            width=width, height=height, frames=frames, model=model, model_path=model_path,
            config=config,
        )  # fmt: skip
        _video(ctx, clip, as_json, output)
        return
    options = BenchOptions(
        width=width,
        height=height,
        faces=faces,
        repeat=repeat,
        warmup=warmup,
        model=model,
        model_path=model_path,
        config=config,
    )
    progress = None
    bar = None
    if not as_json and sys.stderr.isatty():
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
    text = json.dumps(record, indent=2)
    if output is not None:
        atomic_write_text(output, text + "\n")
    if as_json:
        click.echo(text)
    else:
        _print_table(record)
