"""Range validators for attrs config fields: every size that drives an allocation is bounded.

A value out of range raises :class:`~faceswap_core.config.convert.FieldValueError`,
so the config error names the full path and the range, e.g.
``$.pipeline.swapper.crop_size: must be between 64 and 1024, got 16000``.
Floats must also be finite (``.nan`` and ``.inf`` are valid YAML).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs

from faceswap_core.config.convert import FieldValueError

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _check_finite(name: str, value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldValueError(name, f"must be a finite number, got {value!r}")


def between(low: float, high: float) -> Validator:
    """``low <= value <= high`` (and finite)."""

    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        _check_finite(attribute.name, value)
        if not low <= value <= high:
            raise FieldValueError(
                attribute.name, f"must be between {low} and {high}, got {value!r}"
            )

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


def at_least(low: int) -> Validator:
    """``value >= low``: limits and counts (``at_least(1)`` for positive values)."""

    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        _check_finite(attribute.name, value)
        if value < low:
            word = "positive" if low == 1 else f"at least {low}"
            raise FieldValueError(attribute.name, f"must be {word}, got {value!r}")

    return check


__all__ = ["Validator", "above", "at_least", "between"]
