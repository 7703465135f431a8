"""``faceswap swap``: swap the source identity into one or many target images."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.options import apply_runtime_options, runtime_options
from faceswap_core.config.loader import load_config, load_pipeline_config
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import EXIT_CODES, ConfigError, InputError
from faceswap_core.io.encode import write_image
from faceswap_core.pipeline.image import Pipeline

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
FORMATS = ("png", "jpg", "webp")

EXIT_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {code}  {text}" for code, text in EXIT_CODES.items()
)


def expand_targets(targets: Sequence[str]) -> tuple[list[Path], bool]:
    """Target files, and whether the output must be a folder (several or a directory)."""
    files: list[Path] = []
    folder = len(targets) > 1
    for target in targets:
        path = Path(target)
        if path.is_dir():
            folder = True
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise InputError(
                    f"target folder {path} has no images ({', '.join(IMAGE_SUFFIXES)})"
                )
            files.extend(found)
        else:
            files.append(path)
    return files, folder


def pipeline_config(
    config: str | None, overrides: Sequence[str], swapper: dict[str, Any] | None
) -> PipelineConfig:
    """The pipeline section of ``--config`` (or defaults) with ``--set`` and ``--model`` applied."""
    if config is not None:
        experiment, _ = load_config(Path(config), overrides=tuple(overrides))
        resolved = experiment.pipeline
    else:
        resolved = load_pipeline_config(tuple(overrides))
    if swapper is not None:
        import attrs

        resolved = attrs.evolve(resolved, swapper=swapper)
    return resolved


def _output_path(out: Path, target: Path, folder: bool, fmt: str | None) -> tuple[Path, str]:
    if folder:
        chosen = fmt or "png"
        return out / f"{target.stem}.{chosen}", chosen
    suffix = out.suffix.lower().lstrip(".")
    chosen = fmt or ({"jpeg": "jpg"}.get(suffix, suffix) if suffix else "png")
    if chosen not in FORMATS:
        raise ConfigError(
            f"unknown output format {chosen!r} for {out}; choose one of {', '.join(FORMATS)}"
        )
    return out, chosen


@click.command("swap", epilog=EXIT_HELP)
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
    help="Which target faces to swap.",
)
@click.option(
    "--reference", default=None, help="Image of the person to replace (with --faces reference)."
)
@click.option(
    "--threshold", type=float, default=None, help="Identity distance for --faces reference."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["png", "jpg", "webp"]),
    default=None,
    help="Output format.",
)
@click.option(
    "--no-provenance", is_flag=True, help="Do not write the AI-composite provenance metadata."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print per-target faces and stage timings as JSON."
)
@click.option("--config", default=None, help="YAML config file (its pipeline section is used).")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a config value, e.g. pipeline.faces=largest.",
)
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
    no_provenance: bool,
    as_json: bool,
    config: str | None,
    overrides: tuple[str, ...],
    runtime: str | None,
    providers: tuple[str, ...],
) -> None:
    """Swap the face of SOURCE into each TARGET and write the result to OUTPUT."""
    swapper = None
    if model is not None or model_path is not None:
        swapper = {"type": model or ("onnx" if model_path else "classic")}
        if model_path is not None:
            swapper["model"] = model_path
    resolved = apply_runtime_options(
        pipeline_config(config, overrides, swapper), runtime, providers
    )
    if faces == "reference" and reference is None:
        raise ConfigError("--faces reference needs --reference IMG")
    files, folder = expand_targets(targets)
    out = Path(output)
    if folder:
        if out.exists() and not out.is_dir():
            raise ConfigError(f"output {out} must be a folder when there are several targets")
        out.mkdir(parents=True, exist_ok=True)
    pipeline = Pipeline(resolved, plugins_from(ctx))
    identity = pipeline.prepare_source(Path(source))
    provenance = resolved.provenance and not no_provenance
    model_name = str(resolved.swapper.get("type"))
    reports = []
    progress = None
    if len(files) > 1 and not as_json:
        from tqdm import tqdm

        progress = tqdm(total=len(files), desc="swap", unit="img", file=sys.stderr)
    for target in files:
        destination, chosen = _output_path(out, target, folder, fmt)
        result = pipeline.swap(
            target, identity, faces=faces, reference=reference, threshold=threshold
        )
        write_image(
            destination, result.image, format=chosen, provenance=provenance, model=model_name
        )
        reports.append({"target": str(target), "output": str(destination), **result.summary()})
        if progress is not None:
            progress.update(1)
    if progress is not None:
        progress.close()
    if as_json:
        click.echo(json.dumps(reports, indent=2))
    else:
        for report in reports:
            click.echo(
                f"{report['target']} -> {report['output']}: "
                f"{report['faces_swapped']}/{report['faces_found']} faces swapped"
            )
