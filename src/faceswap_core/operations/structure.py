"""Values from any surface into a spec: one set of rules, one way to say what is wrong.

:func:`build_spec` takes what a surface received (click's parsed values,
Python keywords, REST form text) and structures it into the operation's
spec with cattrs: REST text through :data:`text_converter` (``"80"`` -> 80,
``"true"`` -> True, a field's own ``parse`` for times), Python values through
the strict config converter after paths become text. Then the spec's own
validators (ranges from :mod:`faceswap_core.config.ranges`) and cross-field
rules run. Every failure is one :class:`~faceswap_core.errors.ConfigError`
naming the field as it is spelled everywhere (``threshold: must be above 0.0
and at most 2.0, got 3.0``); a cross-field rule (:class:`RuleError`) names the
fields as the surface spells them (``--faces reference needs --reference
IMG`` on the command line).

Old names (``out``, ``work_dir``...) are accepted with one
:class:`~faceswap_core.errors.FaceswapWarning` naming the new one.
"""

from __future__ import annotations

import os
import typing
import warnings
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, TypeVar

import attrs
import cattrs

from faceswap_core.config.convert import (
    FieldValueError,
    error_lines,
    make_converter,
    short_repr,
)
from faceswap_core.errors import ConfigError, FaceswapError, FaceswapWarning
from faceswap_core.operations.fields import Surface
from faceswap_core.operations.operation import Operation
from faceswap_core.operations.rules import RuleError, render_rule
from faceswap_core.operations.transports import Transport

S = TypeVar("S")


# -- text (REST fields, query parameters) -----------------------------------------------------


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {short_repr(value)}")
    return value.strip()


def _text_int(value: Any, _: type) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _text(value)
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"expected an integer, got {short_repr(text)}") from None


def _text_float(value: Any, _: type) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = _text(value)
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {short_repr(text)}") from None
    # NaN and infinity go on to the field's validator (every float field has one from
    # config/ranges.py, held by tests/contract/test_one_surface.py), so a request gets the
    # line the CLI prints and Python raises: "NAME: must be a finite number, got nan".
    return number


TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def _text_bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"expected true or false, got {short_repr(value)}")


def make_text_converter() -> cattrs.Converter:
    """The strict converter, taught to read numbers and yes/no from text (REST forms)."""
    converter = make_converter()
    converter.register_structure_hook(int, _text_int)
    converter.register_structure_hook(float, _text_float)
    converter.register_structure_hook(bool, _text_bool)
    return converter


text_converter = make_text_converter()
"""Structures REST form fields and query parameters (all text) into a spec."""

value_converter = make_converter()
"""Structures Python keywords and click's parsed values (already typed) into a spec."""


# -- one spec from any surface -----------------------------------------------------------------


def _is_tuple(tp: Any) -> bool:
    return typing.get_origin(tp) is tuple


def _is_text(tp: Any) -> bool:
    args = typing.get_args(tp)
    return tp is str or (bool(args) and str in args and all(a in (str, type(None)) for a in args))


def _python_value(value: Any, tp: Any, name: str) -> Any:
    """Paths become text, lists tuples, a tolerance mapping ``METRIC=DELTA`` strings."""
    if isinstance(value, PurePath | os.PathLike) and _is_text(tp):
        return os.fspath(value)
    if _is_tuple(tp):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return (str(value),)  # fail_on_regression=0.01 is tolerance=["0.01"]
        if isinstance(value, Mapping):
            return tuple(f"{key}={number}" for key, number in value.items())
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list | tuple):
            return tuple(os.fspath(v) if isinstance(v, PurePath) else v for v in value)
    return value


def _text_value(value: Any, surface: Surface) -> Any:
    if surface.parse is not None and isinstance(value, str):
        text = value.strip()
        return None if not text else surface.parse(text)
    if isinstance(value, str) and not value.strip():
        return None  # a blank form field is an absent one
    return value


def _given(value: Any) -> bool:
    """Whether a value was given (not ``None`` and not an empty tuple); arrays count as given."""
    return value is not None and not (isinstance(value, tuple) and not value)


def resolve_aliases(
    operation: Operation, values: Mapping[str, Any], transport: Transport, *, stacklevel: int = 3
) -> dict[str, Any]:
    """``values`` with old names renamed, each announced by one :class:`FaceswapWarning`.

    Python keywords (``out=``) and REST fields (``video``) have aliases; the
    command line's hidden options are resolved by the CLI generator.
    """
    aliases: dict[str, str] = {}
    for field, surface in operation.fields(transport):
        olds = surface.api_aliases if transport == "api" else surface.rest_aliases
        for old in olds:
            aliases[old] = field.name
    resolved: dict[str, Any] = {}
    for key, value in values.items():
        new = aliases.get(key)
        if new is None:
            if key not in resolved:
                resolved[key] = value
            continue
        if _given(values.get(new)):
            raise ConfigError(f"{key} and {new} name the same thing; pass only {new}")
        if transport == "api":
            message = f"{key}= is deprecated; use {new}="
            warnings.warn(message, FaceswapWarning, stacklevel=stacklevel)
        resolved[new] = value
    return resolved


def build_spec(operation: Operation, values: Mapping[str, Any], transport: Transport) -> Any:
    """Structure what ``transport`` received into ``operation.spec``.

    Only the fields the surface shows are accepted (an unknown name is an
    error listing the known ones); fields not given keep the spec's defaults.

    :raises ConfigError: a wrong type, a value out of range, a broken
        cross-field rule, or an unknown name; one line naming the field.
    """
    fields = dict(operation.fields(transport))
    by_name = {field.name: (field, surface) for field, surface in fields.items()}
    if transport == "cli":
        given = dict(values)
    else:  # warned from the caller of a generated faceswap.* function
        given = resolve_aliases(operation, values, transport, stacklevel=5)
    unknown = sorted(key for key in given if key not in by_name)
    if unknown:
        known = ", ".join(by_name)
        noun = "option" if transport != "rest" else "field"
        raise ConfigError(
            f"unknown {noun}{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} of "
            f"{operation.name}; known: {known}"
        )
    hints = typing.get_type_hints(operation.spec)
    data: dict[str, Any] = {}
    for key, value in given.items():
        field, surface = by_name[key]
        tp = hints.get(field.name, Any)
        if transport == "rest":
            value = _text_value(value, surface)
            if value is None:
                continue
        elif transport == "api":
            value = _python_value(value, tp, key)
        elif isinstance(value, list):
            value = tuple(value)
        data[key] = value
    converter = text_converter if transport == "rest" else value_converter
    return structure_spec(operation.spec, data, converter, transport)


def structure_spec(
    spec: type[S], data: Mapping[str, Any], converter: cattrs.Converter, transport: Transport
) -> S:
    """``converter.structure(data, spec)`` with errors as one line per bad field."""
    try:
        return converter.structure(dict(data), spec)
    except Exception as exc:
        inner = _faceswap_error(exc)
        if isinstance(inner, RuleError):
            raise ConfigError(render_rule(inner.template, transport, spec)) from None
        if inner is not None:
            raise inner from None
        if isinstance(exc, FieldValueError):
            raise ConfigError(f"{exc.field}: {exc}") from None
        lines = [line.removeprefix(".") for line in error_lines(exc, "")]
        if not lines:
            raise
        raise ConfigError("; ".join(lines)) from None


def _faceswap_error(exc: BaseException) -> FaceswapError | None:
    """The faceswap error a spec's ``__init__`` raised, unwrapped from cattrs' groups."""
    if isinstance(exc, FaceswapError):
        return exc
    for inner in getattr(exc, "exceptions", ()) or ():
        found = _faceswap_error(inner)
        if found is not None:
            return found
    return None


def given_fields(spec: Any) -> dict[str, Any]:
    """The fields of a spec instance that differ from their defaults."""
    found: dict[str, Any] = {}
    for field in attrs.fields(type(spec)):
        value = getattr(spec, field.name)
        default = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()
        if default is attrs.NOTHING or value != default:
            found[field.name] = value
    return found


__all__ = [
    "build_spec",
    "given_fields",
    "make_text_converter",
    "resolve_aliases",
    "structure_spec",
    "text_converter",
    "value_converter",
]
