"""``faceswap video``: swap a face through a whole video file, keeping its timing and audio."""

from __future__ import annotations

import json
import sys
from typing import Any

import attrs
import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.options import ranged
from faceswap_core.config.loader import load_config, load_pipeline_config
from faceswap_core.config.ranges import identity_threshold
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import EXIT_CODES, ConfigError
from faceswap_core.io.video import parse_time
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.pipeline.video import check_output, swap_video
from faceswap_core.vision.smoothing import SMOOTHING_METHODS

SMOOTH_PARAMS: tuple[str, ...] = (
    "min_cutoff", "beta", "d_cutoff", "alpha", "color_blend", "mask_blend",
)  # fmt: skip
"""Keys ``--smooth-param`` accepts (fields of ``pipeline.video``)."""

EXIT_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {code}  {text}" for code, text in EXIT_CODES.items()
)


def parse_smooth_params(pairs: tuple[str, ...]) -> dict[str, float]:
    """``("beta=0.5", "min_cutoff=1")`` -> ``{"beta": 0.5, "min_cutoff": 1.0}``."""
    params: dict[str, float] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or key not in SMOOTH_PARAMS:
            raise ConfigError(
                f"--smooth-param {pair!r}: expected KEY=VALUE with KEY one of "
                f"{', '.join(SMOOTH_PARAMS)}"
            )
        try:
            params[key] = float(value)
        except ValueError:
            raise ConfigError(f"--smooth-param {pair!r}: {value!r} is not a number") from None
    return params


def _config(
    config: str | None, overrides: tuple[str, ...], model: str | None, model_path: str | None
) -> PipelineConfig:
    if config is not None:
        resolved = load_config(config, overrides=overrides)[0].pipeline
    else:
        resolved = load_pipeline_config(overrides)
    if model is None and model_path is None:
        return resolved
    swapper: dict[str, Any] = {"type": model or "onnx"}
    if model_path is not None:
        swapper["model"] = model_path
    return attrs.evolve(resolved, swapper=swapper)


@click.command("video", epilog=EXIT_HELP)
@click.option("-s", "--source", required=True, help="Image whose (largest) face identity is used.")
@click.option("-t", "--target", required=True, help="Input video.")
@click.option("-o", "--output", required=True, help="Output video (.mp4, .mov, .mkv, .webm...).")
@click.option("--model", default=None, help="Swapper: classic (default), inswapper, onnx, ...")
@click.option("--model-path", default=None, help="Model file or store name for inswapper/onnx.")
@click.option("--faces", type=click.Choice(["all", "largest", "reference"]), default=None)
@click.option("--reference", default=None, help="Image of the person to replace.")
@click.option(
    "--threshold",
    type=float,
    default=None,
    callback=ranged(identity_threshold),
    help="Identity distance for --faces reference: above 0, at most 2.",
)
@click.option(
    "--detect-every",
    type=int,
    default=None,
    help="Run the detector every N frames (track between).",
)
@click.option("--smooth", type=click.Choice(SMOOTHING_METHODS), default=None)
@click.option(
    "--smooth-param",
    "smooth_params",
    multiple=True,
    metavar="KEY=VALUE",
    help=f"Smoothing parameter: {', '.join(SMOOTH_PARAMS)}.",
)
@click.option("--codec", default=None, help="Video encoder (default libx264).")
@click.option("--crf", type=int, default=None, help="Constant quality (libx264: 18).")
@click.option("--preset", default=None, help="Encoder speed preset (libx264: veryfast).")
@click.option("--pix-fmt", default=None, help="Encoder pixel format (default yuv420p).")
@click.option("--start", default=None, help="Start time (seconds or [HH:]MM:SS).")
@click.option("--end", default=None, help="End time (seconds or [HH:]MM:SS).")
@click.option("--no-audio", is_flag=True, help="Drop audio and subtitle streams.")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@click.option("--no-provenance", is_flag=True, help="Do not mark the file as AI-altered.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a TTY).")
@click.option("--json", "as_json", is_flag=True, help="Last stdout line: a JSON summary.")
@click.option("--config", default=None, help="YAML config file (its pipeline section is used).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Config override.")
@click.pass_context
def command(
    ctx: click.Context,
    source: str,
    target: str,
    output: str,
    model: str | None,
    model_path: str | None,
    faces: str | None,
    reference: str | None,
    threshold: float | None,
    detect_every: int | None,
    smooth: str | None,
    smooth_params: tuple[str, ...],
    codec: str | None,
    crf: int | None,
    preset: str | None,
    pix_fmt: str | None,
    start: str | None,
    end: str | None,
    no_audio: bool,
    overwrite: bool,
    no_provenance: bool,
    progress: bool | None,
    as_json: bool,
    config: str | None,
    overrides: tuple[str, ...],
) -> None:
    """Swap the face of SOURCE into the video TARGET and write OUTPUT.

    Frame rate, timestamps, frame count, rotation and audio are kept (audio is
    copied without re-encoding where the container allows). OUTPUT is written
    to a temporary file and renamed at the end; it is never half-written.
    """
    resolved = _config(config, overrides, model, model_path)
    if faces == "reference" and reference is None:
        raise ConfigError("--faces reference needs --reference IMG")
    options: dict[str, Any] = parse_smooth_params(smooth_params)
    if detect_every is not None:
        options["detect_every"] = detect_every
    if smooth is not None:
        options["smooth"] = smooth
    check_output(target, output, overwrite=overwrite)
    first = parse_time(start) if start is not None else None
    last = parse_time(end) if end is not None else None
    pipeline = Pipeline(resolved, plugins_from(ctx))
    show = sys.stderr.isatty() if progress is None else progress
    bar: Any = None

    def report(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, desc="video", unit="frame", file=sys.stderr)
        bar.update(done - bar.n)

    try:
        result = swap_video(
            target,
            source,
            output,
            pipeline=pipeline,
            faces=faces,
            reference=reference,
            threshold=threshold,
            overwrite=overwrite,
            codec=codec,
            crf=crf,
            preset=preset,
            pix_fmt=pix_fmt,
            start=first,
            end=last,
            audio=not no_audio,
            provenance=False if no_provenance else None,
            progress=report if show else None,
            **options,
        )
    finally:
        if bar is not None:
            bar.close()
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    streams = ", ".join(f"{s['type']} {s['codec']} {s['mode']}" for s in result.streams)
    cut = (
        f"; the input ends early (damaged after frame {result.frames_in})"
        if result.truncated
        else ""
    )
    click.echo(
        f"{result.input} -> {result.output}: {result.frames_out} frames "
        f"({result.frames_swapped} swapped, {result.frames_skipped} damaged skipped), "
        f"{result.fps:.1f} frames/s" + (f"; {streams}" if streams else "") + cut
    )
