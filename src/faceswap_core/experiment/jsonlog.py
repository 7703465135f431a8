"""Structured JSON-lines logs with stable error codes.

One JSON object per line: ``{"time", "level", "event", "code"?, ...fields}``.
Machines read these logs (reports, dashboards, ``grep FS-NOFACE``), so error
codes are stable strings derived from the exception class, never from the
message text.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging as _logging
import math
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from faceswap_core import errors
from faceswap_core.errors import InputError

LEVELS: tuple[str, ...] = ("debug", "info", "warning", "error")

# Most specific class first is not needed: error_code walks the MRO.
ERROR_CODES: dict[type[BaseException], str] = {
    errors.MissingPluginError: "FS-PLUGIN",
    errors.ConfigError: "FS-CONFIG",
    errors.ComponentClashError: "FS-PLUGIN",
    errors.PluginError: "FS-PLUGIN",
    errors.UnknownComponentError: "FS-PLUGIN",
    errors.InvalidImageError: "FS-INPUT",
    errors.InputError: "FS-INPUT",
    errors.NoFaceError: "FS-NOFACE",
    errors.ModelFileError: "FS-MODEL",
    errors.FaceswapError: "FS-ERROR",
}
INTERNAL_CODE = "FS-INTERNAL"


def error_code(exc: BaseException | type[BaseException]) -> str:
    """The stable code of an exception: the nearest class in :data:`ERROR_CODES`."""
    cls = exc if isinstance(exc, type) else type(exc)
    for klass in cls.__mro__:
        code = ERROR_CODES.get(klass)
        if code is not None:
            return code
    return INTERNAL_CODE


def utc_now() -> str:
    """ISO 8601 UTC time with milliseconds, the ``time`` field of every record."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _plain(value: Any) -> Any:
    """JSON-safe form of a field: paths and numpy scalars become plain values."""
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    item = getattr(value, "item", None)  # numpy scalars and 0-d arrays
    if callable(item):
        try:
            return _plain(item())
        except (TypeError, ValueError):
            pass
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return _plain(tolist())
    return str(value)


def make_record(
    level: str, event: str, fields: Mapping[str, Any], *, time: str | None = None
) -> dict[str, Any]:
    """Build one record; ``time``, ``level`` and ``event`` always come first."""
    if level not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, got {level!r}")
    record: dict[str, Any] = {"time": time or utc_now(), "level": level, "event": event}
    for key, value in fields.items():
        if key in ("time", "level", "event"):
            key = f"field_{key}"
        record[key] = _plain(value)
    return record


class JsonLogger:
    """Append JSON records to a file or stream, one line per call, thread-safe.

    :param target: a path (opened in append mode, folders created) or a text stream.
    :param context: fields added to every record (``run``, ``stage``...).
    :param clock: returns the ``time`` field; injectable for tests.
    """

    def __init__(
        self,
        target: str | os.PathLike[str] | IO[str],
        *,
        context: Mapping[str, Any] | None = None,
        clock: Callable[[], str] = utc_now,
        min_level: str = "debug",
    ) -> None:
        if min_level not in LEVELS:
            raise ValueError(f"min_level must be one of {', '.join(LEVELS)}, got {min_level!r}")
        self._owned: IO[str] | None = None
        if isinstance(target, str | os.PathLike):
            path = Path(target)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._owned = path.open("a", encoding="utf-8")
            self.path: Path | None = path
            self._stream: IO[str] = self._owned
        else:
            self.path = None
            self._stream = target
        self._lock = threading.Lock()
        self.context = dict(context or {})
        self.clock = clock
        self.min_level = min_level

    def bind(self, **fields: Any) -> JsonLogger:
        """A logger writing to the same target with extra context fields."""
        child = object.__new__(JsonLogger)
        child.__dict__.update(self.__dict__)
        child._owned = None  # only the parent closes the file
        child.context = {**self.context, **fields}
        return child

    def log(self, level: str, event: str, **fields: Any) -> dict[str, Any]:
        """Write one record and return it (what was written, as a dict)."""
        record = make_record(level, event, {**self.context, **fields}, time=self.clock())
        if LEVELS.index(level) < LEVELS.index(self.min_level):
            return record
        line = json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n"
        with self._lock:
            self._stream.write(line)
            self._stream.flush()
        return record

    def debug(self, event: str, **fields: Any) -> dict[str, Any]:
        return self.log("debug", event, **fields)

    def info(self, event: str, **fields: Any) -> dict[str, Any]:
        return self.log("info", event, **fields)

    def warning(self, event: str, **fields: Any) -> dict[str, Any]:
        return self.log("warning", event, **fields)

    def error(self, event: str, **fields: Any) -> dict[str, Any]:
        return self.log("error", event, **fields)

    def exception(self, event: str, exc: BaseException, **fields: Any) -> dict[str, Any]:
        """Log ``exc`` at level error with its stable ``code``, class and message."""
        return self.log(
            "error",
            event,
            code=error_code(exc),
            error=str(exc),
            error_type=type(exc).__name__,
            **fields,
        )

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __enter__(self) -> JsonLogger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class JsonFormatter(_logging.Formatter):
    """Format stdlib ``logging`` records in the same JSON-lines shape.

    ``extra={...}`` fields become top-level keys; a record with ``exc_info``
    gets the exception's stable ``code``.
    """

    _SKIP = frozenset({*vars(_logging.LogRecord("", 0, "", 0, "", (), None)), "message"})

    def format(self, record: _logging.LogRecord) -> str:
        level = record.levelname.lower()
        level = {"critical": "error", "notset": "debug"}.get(level, level)
        fields: dict[str, Any] = {"logger": record.name, "message": record.getMessage()}
        for key, value in vars(record).items():
            if key not in self._SKIP and not key.startswith("_"):
                fields[key] = value
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            fields.update(code=error_code(exc), error=str(exc), error_type=type(exc).__name__)
        stamp = _dt.datetime.fromtimestamp(record.created, _dt.UTC)
        time = stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        event = str(getattr(record, "event", record.name))
        fields.pop("event", None)
        data = make_record(level if level in LEVELS else "info", event, fields, time=time)
        return json.dumps(data, ensure_ascii=False, allow_nan=False)


def read_jsonl(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read a JSON-lines log; a truncated last line (a crash mid-write) is skipped."""
    records: list[dict[str, Any]] = []
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                break
            raise InputError(f"{path}:{number}: not a JSON record; the log is corrupt") from None
        if isinstance(value, dict):
            records.append(value)
    return records


__all__ = [
    "ERROR_CODES",
    "INTERNAL_CODE",
    "JsonFormatter",
    "JsonLogger",
    "error_code",
    "make_record",
    "read_jsonl",
    "utc_now",
]
