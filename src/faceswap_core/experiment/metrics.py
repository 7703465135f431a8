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


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


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


def series(records: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple[int, float]]]:
    """``{"phase/name": [(step, value), ...]}`` of every numeric metric."""
    out: dict[str, list[tuple[int, float]]] = {}
    for record in records:
        phase = str(record.get("phase", "train"))
        for key, value in record.items():
            number = _number(value)
            if key in META_KEYS or number is None or not math.isfinite(number):
                continue
            out.setdefault(f"{phase}/{key}", []).append((int(record["step"]), number))
    return out


__all__ = ["META_KEYS", "MetricsLog", "read_metrics", "read_records", "records_to_csv", "series"]
