"""``faceswap inspect FILE``: size, format, provenance and Content Credentials of a file,
and with ``--verify`` the C2PA gate (exit 3 unless the manifest passes).

The report comes from :func:`faceswap_core.io.inspection.inspect_file` (header and
metadata only, so an image of any size can be inspected; ``limits.max_bytes`` still
bounds what is read); the options come from the ``inspect`` spec.
"""

from __future__ import annotations

from typing import Any

import click

from faceswap_core.cli.jsonlines import emit, emit_summary
from faceswap_core.cli.options import pipeline_config
from faceswap_core.cli.spec_command import spec_command
from faceswap_core.errors import CredentialsError
from faceswap_core.io.credentials.verify import Credentials
from faceswap_core.io.inspection import inspect_file, printable, verified
from faceswap_core.io.provenance import source_type_kind
from faceswap_core.operations.inspect import INSPECT, InspectSpec

NO_PROVENANCE = "no provenance metadata"


def c2pa_lines(credentials: Credentials) -> list[str]:
    """The C2PA state, the actions and the ingredients as ``faceswap inspect`` prints them."""
    lines = [f"C2PA: {printable(credentials.describe())}"]
    if credentials.claim_generator:
        lines.append(f"  claim generator: {printable(credentials.claim_generator)}")
    for action in credentials.actions:
        text = f"  action: {printable(action['action'])}"
        if action.get("digital_source_type"):
            source = action["digital_source_type"]
            text += f" ({printable(source)}: {source_type_kind(source)})"
        if action.get("software_agent"):
            text += f" by {printable(action['software_agent'])}"
        if action.get("model"):
            text += f", model {printable(action['model'])}"
        if action.get("model_sha256"):
            text += f" sha256 {printable(action['model_sha256'])}"
        lines.append(text)
    for ingredient in credentials.ingredients:
        parts = [
            printable(ingredient.get(k)) for k in ("relationship", "format") if ingredient.get(k)
        ]
        if ingredient.get("sha256"):
            parts.append(f"sha256 {printable(ingredient['sha256'])}")
        if ingredient.get("credentials"):
            parts.append("with its own Content Credentials")
        lines.append(f"  ingredient: {printable(ingredient.get('title'))} ({', '.join(parts)})")
    return lines


def _print_record(name: str, record: dict[str, Any], credentials: Credentials) -> None:
    click.echo(f"{name}: {record['format']} {record['width']}x{record['height']}")
    if "frames" in record:
        click.echo(
            f"video: {record['codec']}, {record['frames']} frames at {record['fps']} fps, "
            f"{record['duration']} s, rotation {record['rotation']}"
        )
    mark = record["provenance"]
    if mark is None:
        click.echo(NO_PROVENANCE)
    else:
        if mark["digital_source_type"] is None:
            click.echo("XMP metadata present, but no IPTC digital source type")
        else:
            source = printable(mark["digital_source_type"])
            click.echo(f"digital source type: {source} ({mark['kind']})")
        click.echo(f"software: {printable(mark['software'] or 'unknown')}")
        click.echo(f"model: {printable(mark['model'] or 'unknown')}")
    for line in c2pa_lines(credentials):
        click.echo(line)


def run(ctx: click.Context, spec: InspectSpec) -> None:
    """Print the report (or JSON Lines), then apply the ``--verify`` gate."""
    limits = pipeline_config(spec.config, spec.overrides).limits
    report = inspect_file(spec.file, max_bytes=limits.max_bytes, trust=spec.trust)
    credentials = report.credentials
    if spec.json:
        emit(report.record)
    else:
        _print_record(str(spec.file), report.record, credentials)
    passed: bool | None = None
    failure: CredentialsError | None = None
    if spec.verify:
        try:
            warning = verified(report, require_trust=spec.trust is not None)
        except CredentialsError as exc:
            failure, passed = exc, False
        else:
            passed = True
            if warning is not None:
                click.echo(f"Warning: {warning}", err=True)
    if spec.json:
        summary: dict[str, Any] = {"files": 1, "c2pa": credentials.state}
        if passed is not None:
            summary["verified"] = passed  # only under --verify
        emit_summary(summary)
    if failure is not None:
        raise failure  # exit 3, after the report and the summary


command = spec_command(INSPECT, run)
