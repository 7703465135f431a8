"""``faceswap bench``: per-stage latency table (or JSON record) of the swap pipeline."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.options import output_option, runtime_options, write_record
from faceswap_core.errors import BenchTargetError, ConfigError
from faceswap_core.tools import video_bench
from faceswap_core.tools.bench import DEFAULT_SIZE, STAGES, BenchOptions, parse_size, run_bench
from faceswap_core.tools.profiles import PROFILES, check_profile, profile_named, verdict


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


def _video(
    ctx: click.Context, options: video_bench.VideoBenchOptions, as_json: bool, output: Path | None
) -> None:
    record = video_bench.run_video_bench(
        options,
        plugins=plugins_from(ctx),
        progress=None if as_json else lambda step: click.echo(f"bench: {step}", err=True),
    )
    text = write_record(record, output)
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
@runtime_options
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    default=None,
    help="Edge profile: its frame size and runtime, then pass/fail per budget (FPS, GPU memory).",
)
@click.option(
    "--detect-every",
    type=int,
    default=1,
    show_default=True,
    help="Detect every N frames and track in between (needs video tracking).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON record instead of a table.")
@click.option(
    "--video", is_flag=True, help="Benchmark the video path (detect every 1 and 5, and stream)."
)
@click.option("--frames", type=int, default=100, show_default=True, help="Clip length (--video).")
@output_option
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
    runtime: str | None,
    providers: tuple[str, ...],
    profile: str | None,
    detect_every: int,
    as_json: bool,
    video: bool,
    frames: int,
    output: Path | None,
) -> None:
    """Per-stage latency (decode, detect ... swap, mask, paste, enhance, encode) and FPS.

    With --profile, the run uses the profile's frame size and runtime and ends
    with PASS / FAIL / NOT CHECKED per budget; it exits 1 when one fails.
    """
    edge = profile_named(profile) if profile is not None else None
    runtime_choice: Any = runtime
    if edge is not None:
        for name, given in (("size", "--size"), ("runtime", "--runtime")):
            if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT:
                raise ConfigError(f"--profile {edge.name} sets {given}; drop one of them")
        size, runtime_choice = edge.size, dict(edge.runtime)
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
        runtime=runtime_choice,
        providers=providers,
        detect_every=detect_every,
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
    criteria = check_profile(edge, record) if edge is not None else []
    if edge is not None:
        record["profile"] = {
            "name": edge.name,
            "summary": edge.summary,
            "passed": verdict(criteria),
            "criteria": [c.to_dict() for c in criteria],
        }
    text = write_record(record, output)
    if as_json:
        click.echo(text)
    else:
        _print_table(record)
        if edge is not None:
            click.echo(f"profile {edge.name}: {edge.summary}")
            for criterion in criteria:
                click.echo(f"  {criterion.line()}")
    failed = [c for c in criteria if c.passed is False]
    if edge is not None and failed:
        raise BenchTargetError(
            f"profile {edge.name}: "
            + "; ".join(f"{c.name} {c.measured} misses {c.target}" for c in failed)
        )
