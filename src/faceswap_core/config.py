"""Typed configuration: attrs classes structured by a strict cattrs converter.

Errors carry the path of the offending value and what was expected, e.g.
``$.train.lr: expected float, got 'fast'``.
"""

from __future__ import annotations

from typing import Any, TypeVar

import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from faceswap_core.errors import ConfigError

T = TypeVar("T")


def _strict_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected float, got {value!r}")
    return float(value)


def _strict_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected int, got {value!r}")
    return value


def _strict_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected str, got {value!r}")
    return value


def _strict_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected bool, got {value!r}")
    return value


def make_converter() -> cattrs.Converter:
    """A converter that forbids unknown keys and never coerces types silently."""
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(float, _strict_float)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(bool, _strict_bool)
    return converter


converter = make_converter()


def _messages(exc: BaseException, path: str) -> list[str]:
    if isinstance(exc, ForbiddenExtraKeysError):
        return [f"{path}.{key}: unknown key" for key in sorted(exc.extra_fields)]
    if isinstance(exc, ClassValidationError | IterableValidationError):
        out: list[str] = []
        for sub in exc.exceptions:
            note = _note_of(sub)
            out.extend(_messages(sub, f"{path}{note}" if note else path))
        return out
    if isinstance(exc, KeyError):
        return [f"{path}: required key missing"]
    text = str(exc)
    if isinstance(exc, TypeError | ValueError) and "expected" not in text:
        text = f"invalid value: {text}"
    return [f"{path}: {text}"]


def _note_of(exc: BaseException) -> str:
    for note in getattr(exc, "__notes__", []):
        name = getattr(note, "name", None)
        index = getattr(note, "index", None)
        if name is not None:
            return f".{name}"
        if index is not None:
            return f"[{index}]"
        text = str(note)
        if text.startswith("Structuring class") or text.startswith("Structuring "):
            continue
    return ""


def structure(data: Any, cls: type[T], *, path: str = "$") -> T:
    """Structure ``data`` into ``cls`` or raise :class:`ConfigError` with every bad path."""
    if data is None:
        data = {}
    try:
        return converter.structure(data, cls)
    except Exception as exc:
        lines = _messages(exc, path)
        raise ConfigError("; ".join(lines) if lines else f"{path}: {exc}") from None


def unstructure(value: Any) -> Any:
    """The plain-data form of a config object (what gets dumped to YAML)."""
    return converter.unstructure(value)
