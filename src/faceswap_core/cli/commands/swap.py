"""``faceswap swap``: swap the source identity into one or many target images.

The batch rules (output names, what is refused before any work, which
failures let a batch go on) live in :mod:`faceswap_core.pipeline.batch`; this
module parses options and reports each target as soon as it is written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.options import (
    apply_runtime_options,
    config_options,
    pipeline_config,
    ranged,
    runtime_options,
)
from faceswap_core.config.ranges import identity_threshold
from faceswap_core.errors import EXIT_CODES, ConfigError
from faceswap_core.io.encode import ENCODE_FORMATS, OUTPUT_FORMATS
from faceswap_core.pipeline.batch import (
    BatchRecord,
    BatchSummary,
    plan_batch,
    prepare_output_folder,
    run_batch,
)
from faceswap_core.pipeline.image import Pipeline

EXIT_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {code}  {text}" for code, text in EXIT_CODES.items()
)

SWAP_HELP = """Swap the face of SOURCE into each TARGET and write the result to OUTPUT.

\b
Several targets (or a folder) go into the OUTPUT folder: x.jpg becomes
OUTPUT/x.png (or the --format suffix). Targets sharing a stem keep their
suffix: x.jpg -> x.jpg.png, x.png -> x.png.png. A clash that remains, an
output that would replace an input, an output folder inside an input folder
(without --overwrite) and an existing output (without --overwrite or
--skip-existing) are refused with exit code 2 before any work.

\b
A batch goes on past a target that cannot be read (its Error line is printed)
and exits with the first failure's code at the end; --fail-fast stops at once.
A target without a face is written unchanged, without the provenance mark
(exit 0; 4 with --require-face). With a signer configured (--set
pipeline.c2pa.cert=CHAIN.pem --set pipeline.c2pa.key=KEY.pem), every changed
output also carries a signed C2PA manifest; a signer that cannot sign stops
with exit 5 before any work. --json prints one JSON
object per target as it finishes, then {"summary": {...}}.
"""

LOSSY = tuple(name for name, fmt in OUTPUT_FORMATS.items() if fmt.lossy)


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
            self._out(json.dumps(record.to_dict()))
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


@click.command("swap", epilog=EXIT_HELP, help=SWAP_HELP)
@click.option("-s", "--source", required=True, help="Image whose (largest) face identity is used.")
@click.option(
    "-t",
    "--target",
    "targets",
    required=True,
    multiple=True,
    help="Target image or folder; repeatable.",
)
@click.option("-o", "--output", required=True, help="Output file, or folder for several targets.")
@click.option(
    "--model", default=None, help="Swapper: classic (default), inswapper, onnx, or a plugin's."
)
@click.option(
    "--model-path", default=None, help="Model file (or model-store name) for inswapper/onnx."
)
@click.option(
    "--faces",
    type=click.Choice(["all", "largest", "reference"]),
    default=None,
    help="Which target faces to swap (--reference alone implies reference).",
)
@click.option(
    "--reference", default=None, help="Image of the person to replace (implies --faces reference)."
)
@click.option(
    "--threshold",
    type=float,
    default=None,
    callback=ranged(identity_threshold),
    help="Identity distance for --faces reference: above 0, at most 2 (default: the recognizer's).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(ENCODE_FORMATS)),
    default=None,
    help="Output format; must agree with the output file's suffix.",
)
@click.option(
    "--quality",
    type=click.IntRange(1, 100),
    default=None,
    help="JPEG / WebP quality, 1-100 (default 95).",
)
@click.option("--overwrite", is_flag=True, help="Replace existing outputs (never an input).")
@click.option(
    "--skip-existing", is_flag=True, help="Skip targets whose output exists (resume a batch)."
)
@click.option("--fail-fast", is_flag=True, help="Stop at the first target that fails.")
@click.option(
    "--require-face", is_flag=True, help="A target without a face fails (exit 4) instead."
)
@click.option(
    "--no-provenance",
    is_flag=True,
    help="Do not write provenance metadata (refused when a C2PA signer is configured).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON object per target as it finishes, then a summary.",
)
@config_options
@runtime_options
@click.pass_context
def command(
    ctx: click.Context,
    source: str,
    targets: tuple[str, ...],
    output: str,
    model: str | None,
    model_path: str | None,
    faces: str | None,
    reference: str | None,
    threshold: float | None,
    fmt: str | None,
    quality: int | None,
    overwrite: bool,
    skip_existing: bool,
    fail_fast: bool,
    require_face: bool,
    no_provenance: bool,
    as_json: bool,
    config: str | None,
    overrides: tuple[str, ...],
    runtime: str | None,
    providers: tuple[str, ...],
) -> None:
    # Everything that can be checked without models is checked before any model loads.
    if reference is not None and faces is None:
        faces = "reference"
    if faces == "reference" and reference is None:
        raise ConfigError("--faces reference needs --reference IMG")
    swapper = None
    if model is not None or model_path is not None:
        swapper = {"type": model or ("onnx" if model_path else "classic")}
        if model_path is not None:
            swapper["model"] = model_path
    resolved = apply_runtime_options(
        pipeline_config(config, overrides, swapper), runtime, providers
    )
    inputs = [source] if reference is None else [source, reference]
    plan = plan_batch(
        targets, output, fmt=fmt, inputs=inputs, overwrite=overwrite, skip_existing=skip_existing
    )
    chosen = {item.format for item in plan.items}
    if quality is not None and not chosen <= set(LOSSY):
        raise ConfigError(
            f"--quality applies to {' and '.join(LOSSY)} output; {'/'.join(sorted(chosen))} "
            "is lossless"
        )
    # The signer (pipeline.c2pa) is loaded and tried here, before anything is written.
    pipeline = Pipeline(resolved, plugins_from(ctx))
    if no_provenance and pipeline.signer is not None:
        raise ConfigError(
            "--no-provenance contradicts pipeline.c2pa: signed outputs carry provenance; "
            "drop one of them"
        )
    prepare_output_folder(plan)

    identity = pipeline.prepare_source(Path(source))
    if reference is not None:
        pipeline.reference_embedding(Path(reference))  # a reference without a face fails now
    reporter = Reporter(len(plan.items), as_json=as_json)
    summary = BatchSummary()
    try:
        for record in run_batch(
            pipeline,
            identity,
            plan,
            faces=faces,
            reference=None if reference is None else Path(reference),
            threshold=threshold,
            require_face=require_face,
            provenance=resolved.provenance and not no_provenance,
            quality=quality,
            model=str(resolved.swapper.get("type")),
            fail_fast=fail_fast,
        ):
            summary = summary.add(record)
            reporter.record(record)
    finally:
        reporter.close()
    counted = summary.done + summary.failed + summary.skipped
    summary = BatchSummary(
        summary.done, summary.failed, summary.skipped, len(plan.items) - counted, summary.exit_code
    )
    if as_json:
        click.echo(json.dumps({"summary": summary.to_dict()}))
    elif len(plan.items) > 1:
        not_run = f", {summary.not_run} not run" if summary.not_run else ""
        click.echo(
            f"swap: {summary.done} done, {summary.failed} failed, {summary.skipped} skipped"
            f"{not_run}",
            err=True,
        )
    if summary.exit_code:
        ctx.exit(summary.exit_code)
