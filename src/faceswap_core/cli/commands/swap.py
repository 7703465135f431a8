"""``faceswap swap``: swap the source identity into one or many target images.

The batch rules (output names, what is refused before any work, which
failures let a batch go on) live in :mod:`faceswap_core.pipeline.batch`; this
module parses options and reports each target as soon as it is written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import attrs
import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.jsonlines import emit, emit_summary
from faceswap_core.cli.spec_command import spec_command
from faceswap_core.errors import EXIT_CODES, ConfigError
from faceswap_core.operations.swap import SWAP, SwapSpec, check_quality
from faceswap_core.pipeline.batch import (
    BatchPlan,
    BatchRecord,
    BatchSummary,
    SwapOptions,
    plan_batch,
    prepare_output_folder,
    run_batch,
    swap_batch,
)
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.pipeline.runner import spec_runner
from faceswap_core.pipeline.settings import spec_pipeline

EXIT_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {code}  {text}" for code, text in EXIT_CODES.items()
)


class Reporter:
    """Prints each record as it comes: lines or JSON Lines on stdout, errors on stderr.

    The progress bar is drawn only when stderr is a terminal, and never again
    after an error line (so the error stays the last thing on screen).
    """

    def __init__(self, total: int, *, as_json: bool) -> None:
        self.as_json = as_json
        self.bar: Any = None
        if total > 1 and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="swap", unit="img", file=sys.stderr, leave=False)

    def _out(self, line: str, *, err: bool = False) -> None:
        if self.bar is not None:
            self.bar.clear()
        click.echo(line, err=err)
        if self.bar is not None:
            self.bar.refresh()

    def record(self, record: BatchRecord) -> None:
        if record.status == "failed":
            self.close()
            click.echo(f"Error: {record.error}", err=True)
        elif record.warning is not None and record.status == "done":
            self._out(f"Warning: {record.warning}", err=True)
        if self.as_json:
            if self.bar is not None:
                self.bar.clear()
            emit(record.to_dict())
        elif record.status == "done":
            summary = record.summary
            self._out(
                f"{record.target} -> {record.output}: "
                f"{summary['faces_swapped']}/{summary['faces_found']} faces swapped"
            )
        elif record.status == "skipped":
            self._out(f"{record.target} -> {record.output}: skipped (output exists)")
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _run_here(
    pipeline: Pipeline,
    plan: BatchPlan,
    source: Any,
    options: SwapOptions,
    fail_fast: bool,
    reporter: Reporter,
) -> BatchSummary:
    """The batch in this process, on the pipeline already built (the local runner's answers)."""
    identity = pipeline.prepare_source(Path(source))
    if options.reference is not None:
        pipeline.reference_embedding(options.reference)  # a reference without a face fails now
    summary = BatchSummary()
    for record in run_batch(
        pipeline, identity, plan, **attrs.asdict(options, recurse=False), fail_fast=fail_fast
    ):
        summary = summary.add(record)
        reporter.record(record)
    return summary.not_run_of(len(plan.items))


def run(ctx: click.Context, spec: SwapSpec) -> None:
    """Swap every target of the batch; report each as it is written."""
    # Everything that can be checked without models is checked before any model loads.
    resolved = spec_pipeline(spec)
    reference = spec.reference
    inputs = [spec.source] if reference is None else [spec.source, reference]
    plan = plan_batch(
        spec.target,
        str(spec.output),
        fmt=spec.format,
        inputs=inputs,
        overwrite=spec.overwrite,
        skip_existing=spec.skip_existing,
    )
    for item in plan.items:
        check_quality(spec.quality, item.format)
    # The signer (pipeline.c2pa) is loaded and tried here, before anything is written.
    pipeline = Pipeline(resolved, plugins_from(ctx))
    if not spec.provenance and pipeline.signer is not None:
        raise ConfigError(
            "--no-provenance contradicts pipeline.c2pa: signed outputs carry provenance; "
            "drop one of them"
        )
    options = SwapOptions(
        faces=spec.selection,
        reference=None if reference is None else Path(reference),
        threshold=spec.threshold,
        require_face=spec.require_face,
        provenance=resolved.provenance and spec.provenance,
        quality=spec.quality,
        model=str(resolved.swapper.get("type")),
    )
    with spec_runner(spec, pipeline.plugins) as runner:  # a cluster is reached before any write
        prepare_output_folder(plan)
        reporter = Reporter(len(plan.items), as_json=spec.json)
        try:
            if spec.cluster is None:
                summary = _run_here(pipeline, plan, spec.source, options, spec.fail_fast, reporter)
            else:
                run = swap_batch(
                    runner,
                    plan,
                    spec.source,
                    pipeline=resolved,
                    options=options,
                    plugins=pipeline.plugins,
                    fail_fast=spec.fail_fast,
                )
                for record in run:
                    reporter.record(record)
                summary = run.summary
        finally:
            reporter.close()
    if spec.json:
        emit_summary(summary.to_dict())
    elif len(plan.items) > 1:
        click.echo(summary.line("swap"), err=True)
    if summary.exit_code:
        ctx.exit(summary.exit_code)


command = spec_command(SWAP, run, epilog=EXIT_HELP)
