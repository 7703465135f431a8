"""The strict cattrs converter every config goes through.

Unknown keys are errors and nothing is coerced silently (``"3"`` is not an
int, ``1`` is not a bool). Errors carry the path of the offending value and
what was expected, e.g. ``$.train.lr: expected float, got 'fast'``. This
module imports nothing else of faceswap except its errors, so every layer
can structure its own config classes.
"""

from __future__ import annotations

import difflib
import reprlib
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

import attrs
import cattrs
import cattrs.cols
import cattrs.gen
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from faceswap_core.errors import ConfigError, FaceswapError

T = TypeVar("T")

MAX_ERRORS = 20
"""At most this many bad paths are listed in one config error; the rest are counted."""

_SHORT = reprlib.Repr()
_SHORT.maxlevel = 3
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxset = _SHORT.maxdict = 6
_SHORT.maxstring = _SHORT.maxother = 80
_SHORT.maxlong = 40


def short_repr(value: Any) -> str:
    """``repr(value)``, cut to a few items and levels: error messages quote bad values
    without expanding a 300 MB structure (a YAML alias bomb) into text."""
    return _SHORT.repr(value)


class FieldValueError(ValueError):
    """Raised by attrs validators so the error path names the field, not just its class."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _strict_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected float, got {short_repr(value)}")
    return float(value)


def _strict_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected int, got {short_repr(value)}")
    return value


def _strict_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected str, got {short_repr(value)}")
    return value


def _strict_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected bool, got {short_repr(value)}")
    return value


def _is_literal(tp: Any) -> bool:
    return typing.get_origin(tp) is Literal


def _literal_factory(tp: Any) -> Callable[[Any, Any], Any]:
    choices = typing.get_args(tp)
    listing = ", ".join(repr(c) for c in choices)

    def structure_literal(value: Any, _: Any) -> Any:
        # bool is an int: Literal[1] must not accept True.
        for choice in choices:
            if value == choice and type(value) is type(choice):
                return choice
        raise ValueError(f"expected one of {listing}, got {short_repr(value)}")

    return structure_literal


def is_mapping_type(tp: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    return origin in (dict, Mapping, typing.Dict, typing.Mapping)  # noqa: UP006


def _is_list_type(tp: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    return origin in (list, Sequence, typing.List, typing.Sequence)  # noqa: UP006


def _is_tuple_type(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _guard(
    inner: Callable[[Any, Any], Any], accepts: Callable[[Any], bool], expected: str
) -> Callable[[Any, Any], Any]:
    """Reject the wrong container up front (cattrs would iterate a string into a list)."""

    def structure_checked(value: Any, tp: Any) -> Any:
        if not accepts(value):
            raise ValueError(f"expected {expected}, got {short_repr(value)}")
        return inner(value, tp)

    return structure_checked


def _is_sequence_value(value: Any) -> bool:
    return isinstance(value, list | tuple)


def _is_mapping_value(value: Any) -> bool:
    return isinstance(value, Mapping)


def make_converter() -> cattrs.Converter:
    """A converter that forbids unknown keys and never coerces types silently."""
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(float, _strict_float)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook_factory(_is_literal, _literal_factory)
    converter.register_structure_hook_factory(
        attrs.has,
        lambda tp: _guard(
            cattrs.gen.make_dict_structure_fn(tp, converter), _is_mapping_value, "a mapping"
        ),
    )
    converter.register_structure_hook_factory(
        is_mapping_type,
        lambda tp: _guard(
            cattrs.cols.mapping_structure_factory(tp, converter), _is_mapping_value, "a mapping"
        ),
    )
    converter.register_structure_hook_factory(
        _is_list_type,
        lambda tp: _guard(
            cattrs.cols.list_structure_factory(tp, converter), _is_sequence_value, "a list"
        ),
    )
    converter.register_structure_hook_factory(
        _is_tuple_type,
        lambda tp: _guard(
            cattrs.cols.homogenous_tuple_structure_factory(tp, converter),
            _is_sequence_value,
            "a list",
        ),
    )
    return converter


converter = make_converter()


def _messages(exc: BaseException, path: str) -> list[str]:
    if isinstance(exc, ForbiddenExtraKeysError):
        known = [f.name for f in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
        out = []
        for key in sorted(exc.extra_fields):
            hint = difflib.get_close_matches(str(key), known, n=1)
            suffix = f" (did you mean {hint[0]!r}?)" if hint else ""
            out.append(f"{path}.{key}: unknown key{suffix}")
        return out
    if isinstance(exc, ClassValidationError | IterableValidationError):
        out = []
        for sub in exc.exceptions:
            note = _note_of(sub)
            out.extend(_messages(sub, f"{path}{note}" if note else path))
        return out
    if isinstance(exc, KeyError):
        return [f"{path}: required key missing"]
    if isinstance(exc, FieldValueError):
        return [f"{path}.{exc.field}: {exc}"]
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
    return ""


def error_lines(exc: BaseException, path: str = "$") -> list[str]:
    """One ``PATH: what is wrong`` line per bad value of a failed structure (at most
    :data:`MAX_ERRORS`, then a count)."""
    lines = _messages(exc, path)
    if len(lines) > MAX_ERRORS:
        lines = [*lines[:MAX_ERRORS], f"and {len(lines) - MAX_ERRORS} more"]
    return lines


def structure(data: Any, cls: type[T], *, path: str = "$") -> T:
    """Structure ``data`` into ``cls`` or raise :class:`ConfigError` with every bad path."""
    if data is None:
        data = {}
    try:
        return converter.structure(data, cls)
    except FaceswapError:
        raise
    except Exception as exc:
        lines = error_lines(exc, path)
        raise ConfigError("; ".join(lines) if lines else f"{path}: {exc}") from None


def unstructure(value: Any) -> Any:
    """The plain-data form of a config object (what gets dumped to YAML)."""
    return converter.unstructure(value)


__all__ = [
    "MAX_ERRORS",
    "FieldValueError",
    "converter",
    "error_lines",
    "is_mapping_type",
    "make_converter",
    "short_repr",
    "structure",
    "unstructure",
]
