"""``faceswap video``: swap a face through a whole video file, keeping its timing and audio."""

from __future__ import annotations

import sys
import warnings
from typing import Any

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.jsonlines import emit, emit_summary
from faceswap_core.cli.spec_command import spec_command
from faceswap_core.errors import EXIT_CODES, FaceswapWarning
from faceswap_core.operations.video import VIDEO, VideoSpec
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.pipeline.settings import spec_pipeline
from faceswap_core.pipeline.video import check_output, swap_video

EXIT_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {code}  {text}" for code, text in EXIT_CODES.items()
)


def run(ctx: click.Context, spec: VideoSpec) -> None:
    """Swap the video; a progress bar on a terminal; the report as a line or JSON Lines."""
    resolved = spec_pipeline(spec)
    check_output(spec.target, str(spec.output), overwrite=spec.overwrite)
    pipeline = Pipeline(resolved, plugins_from(ctx))
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
            faces=spec.faces,
            reference=spec.reference,
            threshold=spec.threshold,
            overwrite=spec.overwrite,
            codec=spec.codec,
            crf=spec.crf,
            preset=spec.preset,
            pix_fmt=spec.pix_fmt,
            start=spec.start,
            end=spec.end,
            audio=spec.audio,
            provenance=spec.provenance,
            progress=report if show else None,
            **spec.video_options(),
        )
    finally:
        if bar is not None:
            bar.close()
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
