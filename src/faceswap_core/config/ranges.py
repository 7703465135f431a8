"""Range validators for attrs config fields: the one place a config number is checked.

A value out of range raises :class:`~faceswap_core.config.convert.FieldValueError`,
so the config error names the full path and the range, e.g.
``$.pipeline.swapper.crop_size: must be between 64 and 1024, got 16000``.
Every validator here also refuses NaN and infinity (``.nan`` and ``.inf`` are
valid YAML, and ``nan < low`` is False, so a plain comparison lets NaN through).
Every float field of every config class uses one of them; a test walks all
registered config classes to hold that.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable
from typing import Any

import attrs

from faceswap_core.config.convert import FieldValueError

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _check_finite(name: str, value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldValueError(name, f"must be a finite number, got {value!r}")


def between(
    low: float, high: float, *, low_open: bool = False, high_open: bool = False
) -> Validator:
    """``low <= value <= high`` (and finite); ``low_open`` / ``high_open`` exclude an end."""
    if low_open or high_open:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        wording = f"must be in {interval}"
    else:
        wording = f"must be between {low} and {high}"

    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        _check_finite(attribute.name, value)
        too_low = value <= low if low_open else value < low
        too_high = value >= high if high_open else value > high
        if too_low or too_high:
            raise FieldValueError(attribute.name, f"{wording}, got {value!r}")

    return check


def above(low: float, high: float) -> Validator:
    """``low < value <= high`` (and finite): for thresholds where ``low`` itself means nothing."""

    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        _check_finite(attribute.name, value)
        if not low < value <= high:
            raise FieldValueError(
                attribute.name, f"must be above {low} and at most {high}, got {value!r}"
            )

    return check


def at_least(low: float) -> Validator:
    """``value >= low`` (and finite): limits, counts and weights (``at_least(1)``: positive)."""

    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        _check_finite(attribute.name, value)
        if value < low:
            word = "positive" if low == 1 else f"at least {low}"
            raise FieldValueError(attribute.name, f"must be {word}, got {value!r}")

    return check


def named_numbers(items: Iterable[str], names: Collection[str], *, field: str) -> dict[str, float]:
    """``["ssim=0.05", ...]`` -> ``{"ssim": 0.05}``: known names, each once, finite numbers >= 0.

    :raises FieldValueError: naming ``field`` and the item at fault.
    """
    parsed: dict[str, float] = {}
    for item in items:
        name, sep, text = str(item).partition("=")
        name = name.strip()
        if not sep or not name:
            raise FieldValueError(field, f"expected NAME=NUMBER, got {item!r}")
        if name not in names:
            raise FieldValueError(
                field, f"unknown name {name!r} in {item!r}; known: {', '.join(sorted(names))}"
            )
        if name in parsed:
            raise FieldValueError(field, f"names {name} twice")
        try:
            value = float(text)
        except ValueError:
            raise FieldValueError(field, f"{item!r}: {text.strip()!r} is not a number") from None
        if not math.isfinite(value) or value < 0:
            raise FieldValueError(field, f"{item!r}: must be a finite number >= 0")
        parsed[name] = value
    return parsed


def named_limits(names: Collection[str]) -> Validator:
    """A list of ``NAME=NUMBER`` strings (``--max-delta ssim=0.05``): see :func:`named_numbers`."""

    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if isinstance(value, str):
            raise FieldValueError(attribute.name, f"expected a list of NAME=NUMBER, got {value!r}")
        named_numbers(value, names, field=attribute.name)

    return check


__all__ = ["Validator", "above", "at_least", "between", "named_limits", "named_numbers"]
