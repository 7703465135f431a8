"""``faceswap export``: deployable artifacts from registered exporters, and ``verify``.

Subcommands are the exporters plugins register (``onnx`` from faceswap-unet,
``tensorrt`` from faceswap-trt, ``retinaface`` from faceswap-retinaface), each
with the options of its config class (made by the one generator,
:func:`faceswap_core.cli.spec_command.spec_command`), plus core's ``verify``.
An exporter that is not installed is an error naming the distribution to
install.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.jsonlines import emit, emit_summary
from faceswap_core.cli.options import ranged, runtime_options
from faceswap_core.cli.spec_command import config_values, spec_command
from faceswap_core.config.ranges import at_least, between
from faceswap_core.export.run import run_export
from faceswap_core.export.shapes import parse_shapes
from faceswap_core.export.verify import DEFAULT_ATOL, VerificationError, verify
from faceswap_core.interfaces import ExportReport
from faceswap_core.operations.export import export_operation
from faceswap_core.pipeline.context import build_context
from faceswap_core.plugin.kinds import EXPORTER, RUNTIME
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.runtime.choice import runtime_ref

JSON_HELP = 'Print only JSON Lines: {"summary": ...} with the output and the exporter\'s checks.'


def print_report(report: ExportReport, *, as_json: bool) -> None:
    """Notes for people, then the summary: ``key: value`` lines, or JSON Lines (notes to
    stderr, so stdout holds only JSON)."""
    for note in report.notes:
        click.echo(note, err=as_json)
    record = report.to_dict()
    if as_json:
        emit_summary(record)
        return
    for key, value in record.items():
        if not isinstance(value, dict | list):
            click.echo(f"{key}: {value}")


def exporter_command(name: str, config: type[Any] | None, plugin: str) -> click.Command:
    """The ``faceswap export NAME`` command of one registered exporter: its options are the
    fields of its config class (old spellings such as ``--out`` kept as hidden aliases)."""

    @click.pass_context
    def bare(ctx: click.Context, /, json: bool) -> None:
        print_report(run_export(name, {}, plugins=plugins_from(ctx)), as_json=json)

    json_option = click.Option(["--json", "json"], is_flag=True, help=JSON_HELP)
    if config is None:
        return click.Command(name, callback=bare, params=[json_option], help=f"(from {plugin})")
    operation = export_operation(name, config, plugin)

    def run(ctx: click.Context, spec: Any) -> None:
        options = config_values(ctx, config)
        report = run_export(name, options, plugins=plugins_from(ctx))
        print_report(report, as_json=bool(ctx.params.get("json")))

    command = spec_command(
        operation,
        run,
        name=name,
        help=f"{operation.summary} (from {plugin})",
    )
    command.params.append(json_option)
    return command


@click.command("verify")
@click.option("--onnx", "onnx_path", required=True, help="The ONNX graph (run by the reference).")
@click.option(
    "--engine",
    default=None,
    help="A prebuilt artifact for the candidate runtime (default: the candidate loads --onnx).",
)
@runtime_options
@click.option(
    "--reference", default="onnxruntime", show_default=True, help="The reference runtime."
)
@click.option(
    "--shape",
    "shapes",
    multiple=True,
    metavar="NAME:DIMS",
    help="Input shape, e.g. input:1x3x640x640; needed for dynamic dimensions other than batch.",
)
@click.option("--batch", type=click.IntRange(1, 1024), default=1, show_default=True)
@click.option("--inputs", "inputs_file", default=None, help="An .npz of inputs (one per name).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of random inputs.")
@click.option(
    "--atol",
    type=float,
    callback=ranged(at_least(0)),
    default=DEFAULT_ATOL,
    show_default=True,
    help="Largest absolute difference accepted per output.",
)
@click.option(
    "--run-timeout",
    "run_timeout",
    type=float,
    default=None,
    callback=ranged(between(0.0, 86400.0)),
    metavar="SECONDS",
    help="Stop a run of the graph after this long (runtimes with run_timeout_s; default 60).",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_context
def verify_command(
    ctx: click.Context,
    onnx_path: str,
    engine: str | None,
    runtime: str | None,
    providers: tuple[str, ...],
    reference: str,
    shapes: tuple[str, ...],
    batch: int,
    inputs_file: str | None,
    seed: int,
    atol: float,
    run_timeout: float | None,
    as_json: bool,
) -> None:
    """Run the same inputs through two runtimes and compare every output.

    The candidate (--runtime, default tensorrt) runs --engine or the ONNX
    graph; the reference (default onnxruntime) runs the ONNX graph. Prints
    the max and mean absolute difference per output; exits 5 when one
    exceeds --atol.
    """
    manager = plugins_from(ctx)
    context = build_context(manager)
    candidate_ref = with_run_timeout(
        manager, runtime_ref(None, runtime or "tensorrt", providers or None), run_timeout
    )
    reference_ref = with_run_timeout(manager, {"type": reference}, run_timeout)
    report = verify(
        Path(onnx_path),
        reference=context.runtime_for(reference_ref, path="--reference"),
        candidate=context.runtime_for(candidate_ref, path="--runtime"),
        candidate_model=Path(engine) if engine else None,
        shapes=parse_shapes(shapes),
        batch=batch,
        inputs_file=Path(inputs_file) if inputs_file else None,
        seed=seed,
        atol=atol,
    )
    if as_json:
        for diff in report.outputs:
            emit(diff.to_dict())
        emit_summary(report.to_dict())
    else:
        click.echo(f"{report.candidate} vs {report.reference}, atol {atol:g}")
        for diff in report.outputs:
            verdict = "ok" if diff.ok else "FAIL"
            click.echo(
                f"  {diff.name} {list(diff.shape)}: max abs diff {diff.max_abs_diff:.3g},"
                f" mean abs diff {diff.mean_abs_diff:.3g} ({verdict})"
            )
    if not report.passed:
        worst = max(report.outputs, key=lambda d: d.max_abs_diff)
        raise VerificationError(
            f"{report.candidate} differs from {report.reference}: output {worst.name!r} max abs "
            f"diff {worst.max_abs_diff:.3g} > atol {atol:g}"
        )


def with_run_timeout(
    plugins: FaceswapPlugins, ref: dict[str, Any], seconds: float | None
) -> dict[str, Any]:
    """``ref`` with ``run_timeout_s`` when given and the runtime's config has that field."""
    if seconds is None:
        return ref
    config = plugins.registry(RUNTIME).get(str(ref["type"])).config
    if config is None or not attrs.has(config):
        return ref
    if "run_timeout_s" not in {field.name for field in attrs.fields(config)}:
        return ref
    return {**ref, "run_timeout_s": seconds}


BUILTIN: dict[str, click.Command] = {"verify": verify_command}


class ExportGroup(click.Group):
    """Subcommands: core's ``verify`` and every registered exporter, looked up at call time."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        exporters = [c.name for c in plugins_from(ctx).registry(EXPORTER)]
        return sorted(set(BUILTIN) | set(exporters))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in BUILTIN:
            return BUILTIN[cmd_name]
        # Unknown names raise UnknownComponentError: what exists, and what to install.
        component = plugins_from(ctx).registry(EXPORTER).get(cmd_name)
        return exporter_command(component.name, component.config, component.plugin)


@click.group("export", cls=ExportGroup)
def command() -> None:
    """Export deployable artifacts (ONNX, TensorRT engines) and verify them across runtimes."""
