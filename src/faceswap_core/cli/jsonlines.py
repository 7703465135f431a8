"""``--json``: stdout holds only JSON Lines, one object per finished item, then a summary.

Every command with ``--json`` prints through these two functions, so the
meaning is the same everywhere: each finished item (a target, a metric, a
stage, a model...) is one JSON object on its own line as soon as it is
done, and the last line is ``{"summary": {...}}``. Human-readable lines and
warnings go to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import click


def emit(item: Mapping[str, Any]) -> None:
    """One finished item as one JSON line on stdout."""
    click.echo(json.dumps(dict(item), allow_nan=False, default=str))


def emit_summary(summary: Mapping[str, Any]) -> None:
    """The last line: ``{"summary": {...}}``."""
    click.echo(json.dumps({"summary": dict(summary)}, allow_nan=False, default=str))


def emit_all(items: Iterable[Mapping[str, Any]], summary: Mapping[str, Any]) -> None:
    """Every item, then the summary."""
    for item in items:
        emit(item)
    emit_summary(summary)


__all__ = ["emit", "emit_all", "emit_summary"]
