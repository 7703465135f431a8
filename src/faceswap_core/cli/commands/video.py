"""``faceswap video``: swap a face through a whole video file, keeping its timing and audio."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.jsonlines import emit, emit_summary
from faceswap_core.cli.spec_command import spec_command
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import EXIT_CODES, FaceswapWarning
from faceswap_core.interfaces.jobs import WorkRunner
from faceswap_core.operations.video import VIDEO, VideoSpec
from faceswap_core.pipeline.batch import (
    BatchItem,
    BatchPlan,
    BatchSummary,
    check_resume_flags,
    prepare_output_folder,
)
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.pipeline.runner import spec_runner
from faceswap_core.pipeline.settings import spec_pipeline
from faceswap_core.pipeline.video import (
    Progress,
    VideoRecord,
    VideoReport,
    check_output,
    check_videos,
    plan_videos,
    run_videos,
    swap_video,
    swap_videos,
)
from faceswap_core.plugin.manager import FaceswapPlugins

EXIT_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {code}  {text}" for code, text in EXIT_CODES.items()
)


class FrameBar:
    """A frame progress bar on stderr for one video, drawn from its first report."""

    def __init__(self, desc: str = "video") -> None:
        self.desc = desc
        self.bar: Any = None

    def __call__(self, done: int, total: int | None) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=self.desc, unit="frame", file=sys.stderr)
        elif total != self.bar.total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class VideosBar:
    """One frame bar for the videos of a cluster run (one or several at once): the frames done
    of all of them, of the frames of all whose length is known (a retried video starts again
    from 0)."""

    def __init__(self, desc: str) -> None:
        self.frames = FrameBar(desc)
        self.videos: dict[int, tuple[int, int | None]] = {}

    def __call__(self, index: int, done: int, total: int | None) -> None:
        self.videos[index] = (done, total)
        totals = [total for _, total in self.videos.values()]
        self.frames(
            sum(done for done, _ in self.videos.values()),
            None if None in totals else sum(t for t in totals if t is not None),
        )

    def close(self) -> None:
        self.frames.close()


def _shows_progress(spec: VideoSpec) -> bool:
    return sys.stderr.isatty() if spec.progress is None else spec.progress


def run(ctx: click.Context, spec: VideoSpec) -> None:
    """Swap the video (several: :func:`run_many`); a progress bar on a terminal; the report as a
    line or JSON Lines."""
    targets = spec.target if isinstance(spec.target, tuple) else (spec.target,)
    if len(targets) > 1 or Path(targets[0]).is_dir():
        run_many(ctx, spec, targets)
        return
    spec = attrs.evolve(spec, target=targets[0])
    check_resume_flags(spec.overwrite, spec.skip_existing)
    resolved = spec_pipeline(spec)
    if spec.skip_existing and os.path.lexists(str(spec.output)):
        _show_record(spec, VideoRecord(str(spec.target), str(spec.output), "skipped"))
        if spec.json:
            emit_summary(
                {"done": 0, "failed": 0, "skipped": 1, "frames": 0, "frames_swapped": 0,
                 "retries": 0, "exit_code": 0}
            )  # fmt: skip
        return
    check_output(spec.target, str(spec.output), overwrite=spec.overwrite)
    pipeline = Pipeline(resolved, plugins_from(ctx))
    if spec.cluster is not None:
        _show(spec, *on_cluster(spec, resolved, pipeline.plugins))
        return
    bar = FrameBar()
    try:
        result = swap_video(
            spec.target,
            spec.source,
            str(spec.output),
            pipeline=pipeline,
            progress=bar if _shows_progress(spec) else None,
            **spec.file_options(),
            **spec.video_options(),
        )
    finally:
        bar.close()
    _show(spec, result)


def run_many(ctx: click.Context, spec: VideoSpec, targets: tuple[Any, ...]) -> None:
    """Several videos into the OUTPUT folder: a record for each as it is written, a summary,
    the first failure's exit code (the rules of ``faceswap swap``'s batches)."""
    resolved = spec_pipeline(spec)
    reference = spec.reference
    plan = plan_videos(
        targets,
        str(spec.output),
        inputs=[spec.source] if reference is None else [spec.source, reference],
        overwrite=spec.overwrite,
        skip_existing=spec.skip_existing,
    )
    pipeline = Pipeline(resolved, plugins_from(ctx))
    options = {**spec.file_options(), **spec.video_options()}
    del options["overwrite"]  # the plan's
    check_videos(plan, pipeline, options)
    summary = BatchSummary()
    frames = {"frames": 0, "frames_swapped": 0}
    with spec_runner(spec, pipeline.plugins) as runner:  # a cluster is reached before any write
        retries_before = runner.retries
        prepare_output_folder(plan)
        bar = FrameBar()

        def progress(item: BatchItem) -> Progress | None:
            bar.close()
            bar.desc = item.target.name
            return bar if _shows_progress(spec) else None

        todo = sum(not item.skip for item in plan.items)
        videos_bar = VideosBar(f"{todo} videos on the cluster")
        if spec.cluster is None:
            records = run_videos(pipeline, spec.source, plan, progress=progress, **options)
        else:
            if _shows_progress(spec):
                options["item_progress"] = videos_bar
            records = _on_cluster_many(runner, spec, plan, resolved, pipeline.plugins, options)
        try:
            for record in records:
                bar.close()
                summary = summary.add(record)
                if record.report is not None:
                    frames["frames"] += record.report.frames_out
                    frames["frames_swapped"] += record.report.frames_swapped
                _show_record(spec, record)
                if spec.fail_fast and record.status == "failed":
                    break
        finally:
            bar.close()
            videos_bar.close()
        summary = attrs.evolve(summary, retries=runner.retries - retries_before)
    summary = summary.not_run_of(len(plan.items))
    if spec.json:
        emit_summary({**summary.to_dict(), **frames})
    else:
        click.echo(summary.line("video"), err=True)
    if summary.exit_code:
        ctx.exit(summary.exit_code)


def _on_cluster_many(
    runner: WorkRunner,
    spec: VideoSpec,
    plan: BatchPlan,
    resolved: PipelineConfig,
    plugins: FaceswapPlugins,
    options: dict[str, Any],
) -> Iterator[VideoRecord]:
    """The plan's videos in one :func:`swap_videos` call (the workers run them in parallel);
    skipped items are recorded in plan order around the cluster's records. The call is run
    to its end, so that the runner has counted its retries."""
    todo = [item for item in plan.items if not item.skip]
    done = swap_videos(
        runner,
        [(item.target, item.output) for item in todo],
        spec.source,
        pipeline=resolved,
        plugins=plugins,
        overwrite=plan.overwrite,
        **options,
    )
    for item in plan.items:
        if item.skip:
            yield VideoRecord(str(item.target), str(item.output), "skipped")
        else:
            yield next(done)
    yield from done  # nothing left: lets the runner finish and count its retries


def on_cluster(
    spec: VideoSpec, resolved: PipelineConfig, plugins: FaceswapPlugins
) -> tuple[VideoReport, int]:
    """The video as one job on ``spec.cluster`` and how often a worker died under it (the
    retries); its failure raises as it would here."""
    bar = VideosBar("video")
    with spec_runner(spec, plugins) as runner:
        try:
            (record,) = swap_videos(
                runner,
                [(spec.target, str(spec.output))],
                spec.source,
                pipeline=resolved,
                plugins=plugins,
                item_progress=bar if _shows_progress(spec) else None,
                **spec.file_options(),
                **spec.video_options(),
            )
        finally:
            bar.close()
        retries = runner.retries
    return record.raise_failure(), retries


def _show_record(spec: VideoSpec, record: VideoRecord) -> None:
    """One video of several: its line (or JSON object) as :func:`_show` gives it, an Error line
    for a failure, a note for a skipped one."""
    if record.status == "failed":
        click.echo(f"Error: {record.error}", err=True)
    if record.report is not None:
        _warn(record.report)
        if not spec.json:
            click.echo(_line(record.report))
    if spec.json:
        emit(record.to_dict())
    elif record.status == "skipped":
        click.echo(f"{record.input} -> {record.output}: skipped (output exists)")


def _warn(result: VideoReport) -> None:
    if result.warning is not None:
        warnings.warn(result.warning, FaceswapWarning, stacklevel=1)


def _show(spec: VideoSpec, result: VideoReport, retries: int = 0) -> None:
    _warn(result)
    if spec.json:
        emit(result.to_dict())
        emit_summary(
            {
                "done": 1,
                "failed": 0,
                "frames": result.frames_out,
                "frames_swapped": result.frames_swapped,
                "retries": retries,
                "exit_code": 0,
            }
        )
        return
    click.echo(_line(result))
    if retries:
        click.echo(f"{retries} retried (a worker died)", err=True)


def _line(result: VideoReport) -> str:
    streams = ", ".join(f"{s['type']} {s['codec']} {s['mode']}" for s in result.streams)
    cut = (
        f"; the input ends early (damaged after frame {result.frames_in})"
        if result.truncated
        else ""
    )
    return (
        f"{result.input} -> {result.output}: {result.frames_out} frames "
        f"({result.frames_swapped} swapped, {result.frames_skipped} damaged skipped), "
        f"{result.fps:.1f} frames/s" + (f"; {streams}" if streams else "") + cut
    )


command = spec_command(VIDEO, run, epilog=EXIT_HELP)
