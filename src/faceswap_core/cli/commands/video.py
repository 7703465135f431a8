"""``faceswap video``: swap a face through a whole video file, keeping its timing and audio."""

from __future__ import annotations

import sys
import warnings
from typing import Any

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.jsonlines import emit, emit_summary
from faceswap_core.cli.spec_command import spec_command
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import EXIT_CODES, FaceswapWarning
from faceswap_core.operations.video import VIDEO, VideoSpec
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.pipeline.runner import spec_runner
from faceswap_core.pipeline.settings import spec_pipeline
from faceswap_core.pipeline.video import VideoReport, check_output, swap_video, swap_videos
from faceswap_core.plugin.manager import FaceswapPlugins

EXIT_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {code}  {text}" for code, text in EXIT_CODES.items()
)


def run(ctx: click.Context, spec: VideoSpec) -> None:
    """Swap the video; a progress bar on a terminal; the report as a line or JSON Lines."""
    resolved = spec_pipeline(spec)
    check_output(spec.target, str(spec.output), overwrite=spec.overwrite)
    pipeline = Pipeline(resolved, plugins_from(ctx))
    if spec.cluster is not None:
        _show(spec, on_cluster(spec, resolved, pipeline.plugins))
        return
    show = sys.stderr.isatty() if spec.progress is None else spec.progress
    bar: Any = None

    def report(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, desc="video", unit="frame", file=sys.stderr)
        bar.update(done - bar.n)

    try:
        result = swap_video(
            spec.target,
            spec.source,
            str(spec.output),
            pipeline=pipeline,
            progress=report if show else None,
            **spec.file_options(),
            **spec.video_options(),
        )
    finally:
        if bar is not None:
            bar.close()
    _show(spec, result)


def on_cluster(spec: VideoSpec, resolved: PipelineConfig, plugins: FaceswapPlugins) -> VideoReport:
    """The video as one job on ``spec.cluster``; its failure raises as it would here."""
    with spec_runner(spec, plugins) as runner:
        (record,) = swap_videos(
            runner,
            [(spec.target, str(spec.output))],
            spec.source,
            pipeline=resolved,
            plugins=plugins,
            **spec.file_options(),
            **spec.video_options(),
        )
    return record.raise_failure()


def _show(spec: VideoSpec, result: VideoReport) -> None:
    if result.warning is not None:
        warnings.warn(result.warning, FaceswapWarning, stacklevel=1)
    if spec.json:
        emit(result.to_dict())
        emit_summary(
            {
                "done": 1,
                "failed": 0,
                "frames": result.frames_out,
                "frames_swapped": result.frames_swapped,
                "exit_code": 0,
            }
        )
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


command = spec_command(VIDEO, run, epilog=EXIT_HELP)
