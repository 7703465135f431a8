"""Per-step metrics of a run: ``metrics.jsonl`` as the record, ``metrics.csv`` for spreadsheets.

Each record is ``{"step": N, "phase": "train" | "val", name: value, ...}``.
The JSON lines are appended as they come (a crash loses at most the line
being written, which :func:`read_metrics` skips); the CSV is rewritten
atomically from them, because its columns grow as new metrics appear.
``faceswap compare`` and the plots read these files, so they need no torch.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from faceswap_core.errors import InputError
from faceswap_core.experiment.jsonlog import read_jsonl
from faceswap_core.io.atomic import atomic_write_text

META_KEYS: tuple[str, ...] = ("step", "phase", "time")
"""Keys of a record that are not metrics."""

STEP_KEYS: tuple[str, ...] = ("step", "iteration", "iter", "epoch")
"""The x axis of a curve: the first of these a record has (else the record's position)."""

PHASE_KEYS: tuple[str, ...] = ("phase", "split", "mode", "event")
"""A text field naming the curve family of a record (``train``, ``val``)."""

IGNORED_KEYS: frozenset[str] = frozenset({"time", "timestamp", "level", "code", "lr_step"})
"""Numeric fields of a record that are bookkeeping, not metrics."""

JSONL_NAME = "metrics.jsonl"
CSV_NAME = "metrics.csv"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _finite(value: Any) -> float | None:
    number = _number(value)
    return number if number is not None and math.isfinite(number) else None


class MetricsLog:
    """Append metric records to ``metrics.jsonl`` and keep ``metrics.csv`` in step.

    :param jsonl: the JSON-lines file (appended to; an existing one is kept on resume).
    :param csv_path: the CSV file rewritten by :meth:`write_csv`.
    """

    def __init__(self, jsonl: str | os.PathLike[str], csv_path: str | os.PathLike[str]) -> None:
        self.jsonl = Path(jsonl)
        self.csv = Path(csv_path)
        self.records: list[dict[str, Any]] = read_metrics(self.jsonl) if self.jsonl.exists() else []

    def truncate_after(self, step: int) -> None:
        """Drop records past ``step`` (a resumed run repeats the steps after its checkpoint)."""
        kept = [r for r in self.records if int(r.get("step", 0)) <= step]
        if len(kept) != len(self.records):
            self.records = kept
            text = "".join(json.dumps(r, allow_nan=False) + "\n" for r in kept)
            atomic_write_text(self.jsonl, text)
            self.write_csv()

    def append(self, step: int, phase: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Write one record; non-finite numbers are stored as ``null``."""
        record: dict[str, Any] = {"step": int(step), "phase": phase}
        for key, value in values.items():
            number = _number(value)
            if number is not None:
                record[key] = number if math.isfinite(number) else None
            elif value is None or isinstance(value, str | bool):
                record[key] = value
        self.jsonl.parent.mkdir(parents=True, exist_ok=True)
        with self.jsonl.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, allow_nan=False) + "\n")
        self.records.append(record)
        return record

    def write_csv(self) -> Path:
        """Rewrite ``metrics.csv`` (columns: step, phase, then metric names sorted)."""
        return atomic_write_text(self.csv, records_to_csv(self.records))


def records_to_csv(records: Iterable[Mapping[str, Any]]) -> str:
    rows = list(records)
    names = sorted({key for row in rows for key in row} - set(META_KEYS))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["step", "phase", *names])
    for row in rows:
        writer.writerow(
            [
                row.get("step"),
                row.get("phase"),
                *("" if row.get(n) is None else row[n] for n in names),
            ]
        )
    return buffer.getvalue()


def read_records(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every record of a metrics log, the one reader ``report`` and ``compare`` share.

    ``metrics.jsonl``: one JSON object per line; a truncated last line (a run
    killed mid-write) is skipped, a broken line before it is an
    :class:`InputError` naming the line. ``metrics.csv``: numbers become
    floats (``step`` an int), empty cells are left out; a file without a
    ``step`` column (an evaluation's per-pair table) or with a row the csv
    module refuses is an :class:`InputError`.
    """
    file = Path(path)
    if not file.is_file():
        raise InputError(f"metrics file not found: {file}")
    if file.suffix != ".csv":
        return read_jsonl(file)
    with file.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        try:
            rows = list(reader)
        except csv.Error as exc:
            raise InputError(f"metrics file {file}: {exc}; the file is damaged") from None
        if "step" not in (reader.fieldnames or []):
            raise InputError(
                f"{file} has no step column, so it is not a training run's "
                "metrics (an evaluation folder holds one row per pair: compare two "
                "evaluations with `faceswap report EVAL_A EVAL_B`)"
            )
        out: list[dict[str, Any]] = []
        for row in rows:
            record: dict[str, Any] = {}
            for key, value in row.items():
                if key is None or value in ("", None):
                    continue
                try:
                    number = float(value)
                except ValueError:
                    record[key] = value
                    continue
                record[key] = int(number) if key == "step" and number.is_integer() else number
            out.append(record)
        return out


def read_metrics(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The step records of a ``metrics.jsonl`` (or ``metrics.csv``): those with an int ``step``."""
    return [r for r in read_records(path) if isinstance(r.get("step"), int)]


def series(
    records: Iterable[Mapping[str, Any]], *, default_phase: str | None = "train"
) -> dict[str, list[tuple[float, float]]]:
    """``{"phase/name": [(step, value), ...]}`` of every finite numeric metric.

    The step is the first of :data:`STEP_KEYS` a record has (else its
    position), the phase the first of :data:`PHASE_KEYS` (else
    ``default_phase``; ``None`` leaves the name bare), so logs of other
    trainers (``epoch``, ``split``) read too. The one curve reader of
    ``faceswap compare``, the run plots and ``faceswap report``.
    """
    out: dict[str, list[tuple[float, float]]] = {}
    for index, record in enumerate(records):
        x_key = next((key for key in STEP_KEYS if _finite(record.get(key)) is not None), None)
        x = record[x_key] if x_key is not None else index
        phase = next(
            (str(record[key]) for key in PHASE_KEYS if isinstance(record.get(key), str)),
            default_phase,
        )
        for key, value in record.items():
            number = _finite(value)
            if number is None or key in STEP_KEYS or key in IGNORED_KEYS:
                continue
            out.setdefault(f"{phase}/{key}" if phase else key, []).append((x, number))
    return out


def run_metrics_file(run: str | os.PathLike[str]) -> Path:
    """A run's per-step metrics: ``metrics.jsonl``, else ``metrics.csv`` (or the file given)."""
    folder = Path(run)
    for name in (JSONL_NAME, CSV_NAME):
        if (folder / name).is_file():
            return folder / name
    if folder.is_file() and folder.suffix in (".jsonl", ".csv"):
        return folder
    raise InputError(
        f"{folder} is not a run folder with {JSONL_NAME} or {CSV_NAME}; "
        "pass the work_dir a training run wrote"
    )


def has_metrics(run: str | os.PathLike[str]) -> bool:
    """Whether ``run`` is a folder holding a training run's per-step metrics."""
    folder = Path(run)
    return (folder / JSONL_NAME).is_file() or (folder / CSV_NAME).is_file()


def declared_directions(run: str | os.PathLike[str]) -> dict[str, bool]:
    """``{metric: higher_is_better}`` a finished run declares in its ``metrics.json``
    (``{}`` when it has none or the file is unreadable)."""
    file = Path(run) / "metrics.json"
    if not file.is_file():
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    declared = data.get("higher_is_better") if isinstance(data, dict) else None
    return {str(k): bool(v) for k, v in declared.items()} if isinstance(declared, dict) else {}


__all__ = [
    "CSV_NAME",
    "IGNORED_KEYS",
    "JSONL_NAME",
    "META_KEYS",
    "PHASE_KEYS",
    "STEP_KEYS",
    "MetricsLog",
    "declared_directions",
    "has_metrics",
    "read_metrics",
    "read_records",
    "records_to_csv",
    "run_metrics_file",
    "series",
]
