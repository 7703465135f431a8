"""Range validators for attrs config fields: the one place a config number is checked.

A value out of range raises :class:`~faceswap_core.config.convert.FieldValueError`,
so the config error names the full path and the range, e.g.
``$.pipeline.swapper.crop_size: must be between 64 and 1024, got 16000``.
Every validator here also refuses NaN and infinity (``.nan`` and ``.inf`` are
valid YAML, and ``nan < low`` is False, so a plain comparison lets NaN through).
Every float field of every config class uses one of them; a test walks all
registered config classes to hold that.

Values that do not come through a config class (a CLI option such as
``--threshold``, a Python keyword such as ``swap_video(threshold=...)``)
are checked with the same validators by :func:`check_value`, so every route
to a number has one rule. The named ranges below are those shared by
several routes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple, cast

import attrs

from faceswap_core.config.convert import FieldValueError, short_repr
from faceswap_core.errors import ConfigError

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


class _Named(NamedTuple):
    name: str


def _check_finite(name: str, value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldValueError(name, f"must be a finite number, got {short_repr(value)}")


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
            raise FieldValueError(attribute.name, f"{wording}, got {short_repr(value)}")

    return check


def above(low: float, high: float) -> Validator:
    """``low < value <= high`` (and finite): for thresholds where ``low`` itself means nothing."""

    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        _check_finite(attribute.name, value)
        if not low < value <= high:
            raise FieldValueError(
                attribute.name, f"must be above {low} and at most {high}, got {short_repr(value)}"
            )

    return check


def each(validator: Validator) -> Validator:
    """Apply ``validator`` to every item of a list or tuple (the field name gets ``[i]``)."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        for index, item in enumerate(value or ()):
            named = _Named(f"{attribute.name}[{index}]")
            validator(instance, cast("attrs.Attribute[Any]", named), item)

    return check


def at_least(low: float) -> Validator:
    """``value >= low`` (and finite): limits, counts and weights (``at_least(1)``: positive)."""

    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        _check_finite(attribute.name, value)
        if value < low:
            word = "positive" if low == 1 else f"at least {low}"
            raise FieldValueError(attribute.name, f"must be {word}, got {short_repr(value)}")

    return check


def check_value(name: str, value: Any, validator: Validator) -> None:
    """Run a range validator on a value that is not a config field (an option, a keyword).

    :raises ConfigError: ``NAME: must be ..., got VALUE`` (exit code 2).
    """
    if isinstance(value, bool) or (value is not None and not isinstance(value, int | float)):
        raise ConfigError(f"{name}: expected a number, got {short_repr(value)}")
    try:
        validator(None, cast("attrs.Attribute[Any]", _Named(name)), value)
    except FieldValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


MAX_IDENTITY_DISTANCE = 2.0
"""Largest Euclidean distance between two L2-normalised embeddings (opposite vectors)."""

identity_threshold = above(0.0, MAX_IDENTITY_DISTANCE)
"""``pipeline.threshold``, ``--threshold`` and ``threshold=``: a distance in (0, 2]."""

frame_rate = above(0.0, 1000.0)
"""Frames per second of a stream or video: above 0, at most 1000."""

learning_rate = above(0.0, 1.0)
"""Optimiser learning rates: above 0, at most 1 (Adam's steps are about lr in size)."""

weight_decay = between(0.0, 1.0)
"""Decoupled / L2 weight decay: at 1 a step erases the weights; ``.inf`` made every loss NaN."""

loss_weight = between(0.0, 1000.0)
"""Weights of loss terms (relative): finite; 1000 is far past any useful balance."""

unit_interval = between(0.0, 1.0)
"""Shares and weights in [0, 1]: ``pipeline.enhance_blend``, CodeFormer's fidelity weight."""

MAX_STEPS = 100_000_000
"""Training steps, eval intervals and the like: a bound far past any real run."""

MAX_PAIRS = 1_000_000
"""Evaluation pairs of one kind: each costs a swap, and the list is held in memory."""

MAX_FRAMES_PER_VIDEO = 1000
"""Frames sampled from one evaluation video: each is decoded, kept as a file and swapped."""


__all__ = [
    "MAX_FRAMES_PER_VIDEO",
    "MAX_IDENTITY_DISTANCE",
    "MAX_PAIRS",
    "MAX_STEPS",
    "Validator",
    "above",
    "at_least",
    "between",
    "check_value",
    "each",
    "frame_rate",
    "identity_threshold",
    "learning_rate",
    "loss_weight",
    "unit_interval",
    "weight_decay",
]
