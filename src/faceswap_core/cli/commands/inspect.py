"""``faceswap inspect FILE``: size, format, provenance and Content Credentials of a file.

Only the header and metadata are read, never the pixels, so an image of any
size can be inspected (``limits.max_bytes`` still bounds what is read). The
C2PA state (valid, untrusted signer, invalid with its codes, absent) comes from
:func:`~faceswap_core.io.credentials.verify.read_credentials`, which checks the
manifest's hashes against the whole file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from faceswap_core.cli.jsonlines import emit, emit_summary
from faceswap_core.cli.options import config_options, pipeline_config
from faceswap_core.io.credentials.verify import Credentials, read_credentials
from faceswap_core.io.decode import probe
from faceswap_core.io.provenance import read_provenance, source_type_kind
from faceswap_core.io.video import VIDEO_SUFFIXES, probe_video

NO_PROVENANCE = "no provenance metadata"


def _report(path: str, max_bytes: int) -> tuple[dict[str, Any], Credentials]:
    if Path(path).suffix.lower() in VIDEO_SUFFIXES:
        report = probe_video(path).to_dict()
    else:
        info = probe(path, max_bytes=max_bytes)
        record = read_provenance(path, max_bytes=max_bytes)
        report = {
            "path": path,
            "format": info.format,
            "width": info.width,
            "height": info.height,
            "provenance": record.to_dict() if record is not None else None,
        }
    credentials = read_credentials(path)
    report["c2pa"] = credentials.to_dict()
    return report, credentials


def _printable(value: Any) -> str:
    """A value from an untrusted file, safe to print: control characters become '?'."""
    return "".join(c if c.isprintable() else "?" for c in str(value))


def c2pa_lines(credentials: Credentials) -> list[str]:
    """The C2PA state, the actions and the ingredients as ``faceswap inspect`` prints them."""
    lines = [f"C2PA: {_printable(credentials.describe())}"]
    if credentials.claim_generator:
        lines.append(f"  claim generator: {_printable(credentials.claim_generator)}")
    for action in credentials.actions:
        text = f"  action: {_printable(action['action'])}"
        if action.get("digital_source_type"):
            source = action["digital_source_type"]
            text += f" ({_printable(source)}: {source_type_kind(source)})"
        if action.get("software_agent"):
            text += f" by {_printable(action['software_agent'])}"
        if action.get("model"):
            text += f", model {_printable(action['model'])}"
        if action.get("model_sha256"):
            text += f" sha256 {_printable(action['model_sha256'])}"
        lines.append(text)
    for ingredient in credentials.ingredients:
        parts = [
            _printable(ingredient.get(k)) for k in ("relationship", "format") if ingredient.get(k)
        ]
        if ingredient.get("sha256"):
            parts.append(f"sha256 {_printable(ingredient['sha256'])}")
        if ingredient.get("credentials"):
            parts.append("with its own Content Credentials")
        lines.append(f"  ingredient: {_printable(ingredient.get('title'))} ({', '.join(parts)})")
    return lines


@click.command("inspect")
@click.argument("image")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print only JSON Lines: the file\'s record, then {"summary": ...}.',
)
@config_options
def command(image: str, as_json: bool, config: str | None, overrides: tuple[str, ...]) -> None:
    """Show IMAGE's size, format, provenance and C2PA Content Credentials.

    Reads the header and metadata only, so any image size works. Videos
    (.mp4, .mov, .mkv, .webm, ...) show codec, frames, rate and the provenance
    tags in their container metadata. The C2PA line says whether a signed
    manifest is valid, signed by an untrusted signer, INVALID (with C2PA's
    failure codes: the file changed after signing) or absent, then its actions
    and ingredients. Exit code 0 whatever the provenance; 3 when the file
    cannot be read or its header is corrupt.
    """
    limits = pipeline_config(config, overrides).limits
    report, credentials = _report(image, limits.max_bytes)
    if as_json:
        emit(report)
        emit_summary({"files": 1, "c2pa": credentials.to_dict().get("state")})
        return
    click.echo(f"{image}: {report['format']} {report['width']}x{report['height']}")
    if "frames" in report:
        click.echo(
            f"video: {report['codec']}, {report['frames']} frames at {report['fps']} fps, "
            f"{report['duration']} s, rotation {report['rotation']}"
        )
    record = report["provenance"]
    if record is None:
        click.echo(NO_PROVENANCE)
    else:
        if record["digital_source_type"] is None:
            click.echo("XMP metadata present, but no IPTC digital source type")
        else:
            source = _printable(record["digital_source_type"])
            click.echo(f"digital source type: {source} ({record['kind']})")
        click.echo(f"software: {_printable(record['software'] or 'unknown')}")
        click.echo(f"model: {_printable(record['model'] or 'unknown')}")
    for line in c2pa_lines(credentials):
        click.echo(line)
