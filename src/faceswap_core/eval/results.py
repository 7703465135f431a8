"""The files of an evaluation folder and their formats: ``metrics.json`` and ``metrics.csv``.

``metrics.json`` is the document reports, gates and MOS imports read::

    {"schema": "faceswap.eval/1", "created": ISO time,
     "model": {"swapper": {...}, "run": PATH | null, "checkpoint": PATH | null},
     "dataset": {"kind", "path", "version", "manifest_sha256", "split", "identities", "images"},
     "recognizer": {"name", "model", "license", "chosen"}, "landmarker": {...},
     "pairs": {"cross", "self", "seed", "requested": {...}},
     "metrics": {NAME: {"value", "unit", "definition", "higher_is_better", "count",
                        "unavailable", "gate_by_default", "details"}},
     "gallery": {"by", "best": [pair ids], "median": [...], "worst": [...]},  (contact sheets)
     "gate": null | {...}, "mos": absent until ``faceswap mos import``}

``metrics.csv`` has one row per pair: ids, labels, ``status`` (``ok`` or the
failure), ``error`` and every per-pair metric value.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from faceswap_core.errors import InputError
from faceswap_core.interfaces.eval import MetricValue
from faceswap_core.io.atomic import atomic_write_json, atomic_write_text

SCHEMA = "faceswap.eval/1"
METRICS_JSON = "metrics.json"
METRICS_CSV = "metrics.csv"
REPORT_HTML = "report.html"
PLOTS_DIR = "plots"
CONTACT_SHEETS_DIR = "gallery"
"""``best.jpg``, ``median.jpg``, ``worst.jpg``: the contact sheets (the folder keeps the name
runs on disk, report links and MOS sheets already use; the key ``gallery`` of
``metrics.json`` likewise)."""
PAIR_STRIPS_DIR = "gallery/pairs"
"""One ``<pair_id>.jpg`` per swapped pair: source | target | result, for contact sheets,
comparisons and MOS sheets."""

ROW_FIELDS: tuple[str, ...] = (
    "pair_id",
    "kind",
    "source",
    "target",
    "source_label",
    "target_label",
    "status",
    "error",
)


def finite(value: Any) -> Any:
    """JSON has no NaN or infinity: those become ``None``, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def metric_entry(value: MetricValue) -> dict[str, Any]:
    """One ``metrics`` entry of ``metrics.json``."""
    entry: dict[str, Any] = {
        "value": value.value,
        "unit": value.unit,
        "definition": value.definition,
        "higher_is_better": value.higher_is_better,
        "count": value.count,
        "gate_by_default": value.gate_by_default,
    }
    if value.unavailable is not None:
        entry["unavailable"] = value.unavailable
    if value.details:
        entry["details"] = dict(value.details)
    return finite(entry)  # type: ignore[no-any-return]


def write_metrics_json(folder: Path, document: Mapping[str, Any]) -> Path:
    return atomic_write_json(folder / METRICS_JSON, finite(dict(document)))


def metrics_file(path: str | Path) -> Path:
    location = Path(path)
    return location / METRICS_JSON if location.is_dir() else location


def is_eval_folder(path: str | Path) -> bool:
    file = metrics_file(path)
    if not file.is_file():
        return False
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(data, dict) and data.get("schema") == SCHEMA


def read_metrics_json(path: str | Path) -> dict[str, Any]:
    """An eval folder's ``metrics.json`` (or the file itself), validated."""
    file = metrics_file(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{file} not found: {path} is not a `faceswap eval` output folder"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {file}: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise InputError(f"{file}: schema {found!r} is not {SCHEMA!r}; is it an eval output?")
    if not isinstance(data.get("metrics"), dict):
        raise InputError(f"{file} has no 'metrics' mapping")
    return data


def metric_values(document: Mapping[str, Any]) -> dict[str, float | None]:
    """``{name: value}`` of a ``metrics.json`` document (what ``--json`` prints)."""
    return {name: entry.get("value") for name, entry in document["metrics"].items()}


def write_metrics_csv(folder: Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """One row per pair; metric columns in order of first appearance."""
    columns = list(ROW_FIELDS)
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(row.get(key)) for key in columns})
    return atomic_write_text(folder / METRICS_CSV, buffer.getvalue())


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else ""
    return value


def read_metrics_csv(folder: str | Path) -> list[dict[str, str]]:
    file = Path(folder) / METRICS_CSV
    if not file.is_file():
        return []
    with file.open(encoding="utf-8", newline="") as handle:
        return list(CsvTable(csv.DictReader(handle), "metrics file", file))


class CsvTable:
    """Rows of a CSV file; a malformed row (a field over the csv module's 128 KB limit,
    a stray NUL) is an :class:`InputError` naming the file and line, not a crash."""

    def __init__(self, reader: csv.DictReader[str], what: str, path: Path) -> None:
        self._reader = reader
        self.what = what
        self.path = path

    @property
    def fieldnames(self) -> list[str]:
        try:
            return list(self._reader.fieldnames or [])
        except csv.Error as exc:
            raise self._error(exc) from None

    def __iter__(self) -> Iterator[dict[str, str]]:
        try:
            yield from self._reader
        except csv.Error as exc:
            raise self._error(exc) from None

    def _error(self, exc: csv.Error) -> InputError:
        return InputError(
            f"{self.what} {self.path} line {self._reader.line_num + 1}: {exc}; fix that row"
        )


def read_csv_table(path: Path, what: str, required: Iterable[str], hint: str) -> CsvTable:
    """A user's CSV (``what``: "pairs file", "ratings file") with its header checked.

    A byte-order mark is accepted (spreadsheets write one). Rows are numbered
    from 2 for messages (the header is line 1).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {what} {path}: {exc}") from None
    table = CsvTable(csv.DictReader(text.splitlines()), what, path)
    columns = table.fieldnames
    if not set(required) <= set(columns):
        raise InputError(
            f"{what} {path} needs a header with {hint}; found {columns or 'no header'}"
        )
    return table


def column(rows: Iterable[Mapping[str, str]], name: str, kind: str | None = None) -> list[float]:
    """The numbers in one column of ``metrics.csv`` (blank cells skipped)."""
    values = []
    for row in rows:
        if kind is not None and row.get("kind") != kind:
            continue
        text = row.get(name, "")
        if text:
            values.append(float(text))
    return values


__all__ = [
    "CONTACT_SHEETS_DIR",
    "METRICS_CSV",
    "METRICS_JSON",
    "PAIR_STRIPS_DIR",
    "PLOTS_DIR",
    "REPORT_HTML",
    "SCHEMA",
    "CsvTable",
    "column",
    "finite",
    "is_eval_folder",
    "metric_entry",
    "metric_values",
    "read_csv_table",
    "read_metrics_csv",
    "read_metrics_json",
    "write_metrics_csv",
    "write_metrics_json",
]
