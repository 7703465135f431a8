"""``faceswap inspect FILE``: size, format and provenance metadata of an image or video file.

Only the header and metadata are read, never the pixels, so an image of any
size can be inspected (``limits.max_bytes`` still bounds what is read).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from faceswap_core.cli.options import config_options, pipeline_config
from faceswap_core.io.decode import probe
from faceswap_core.io.provenance import read_provenance
from faceswap_core.io.video import VIDEO_SUFFIXES, probe_video

NO_PROVENANCE = "no provenance metadata"


def _report(path: str, max_bytes: int) -> dict[str, Any]:
    if Path(path).suffix.lower() in VIDEO_SUFFIXES:
        return probe_video(path).to_dict()
    info = probe(path, max_bytes=max_bytes)
    record = read_provenance(path, max_bytes=max_bytes)
    return {
        "path": path,
        "format": info.format,
        "width": info.width,
        "height": info.height,
        "provenance": record.to_dict() if record is not None else None,
    }


@click.command("inspect")
@click.argument("image")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of text.")
@config_options
def command(image: str, as_json: bool, config: str | None, overrides: tuple[str, ...]) -> None:
    """Show IMAGE's size, format and provenance (IPTC digital source type, software, model).

    Reads the header and metadata only, so any image size works. Videos
    (.mp4, .mov, .mkv, .webm, ...) show codec, frames, rate and the provenance
    tags in their container metadata. Exit code 0 with or without provenance;
    3 when the file cannot be read or its header is corrupt.
    """
    limits = pipeline_config(config, overrides).limits
    report = _report(image, limits.max_bytes)
    if as_json:
        click.echo(json.dumps(report, indent=2))
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
        return
    if record["digital_source_type"] is None:
        click.echo("XMP metadata present, but no IPTC digital source type")
    else:
        kind = "AI-made or AI-altered" if record["synthetic"] else "not marked as AI-made"
        click.echo(f"digital source type: {record['digital_source_type']} ({kind})")
    click.echo(f"software: {record['software'] or 'unknown'}")
    click.echo(f"model: {record['model'] or 'unknown'}")
