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
from collections.abc import Callable, Collection, Iterable
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


@attrs.frozen
class Range:
    """A number range, callable as an attrs validator, and readable by the surface generators.

    The bounds are data, so a click option (``IntRange`` / ``FloatRange``), an
    OpenAPI property (``minimum`` / ``exclusiveMinimum`` ...) and the error
    message all come from the same numbers. ``None`` passes (an unset
    optional); NaN and infinity never do.

    :ivar low: the smallest value (``None``: no lower bound).
    :ivar high: the largest value (``None``: no upper bound).
    :ivar low_open: ``low`` itself is refused.
    :ivar high_open: ``high`` itself is refused.
    :ivar wording: the message's ``must be ...`` part.
    """

    low: float | None
    high: float | None
    low_open: bool = False
    high_open: bool = False
    wording: str = ""

    def contains(self, value: float) -> bool:
        """Whether ``value`` is inside the range (a NaN never is)."""
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or not (
            value >= self.high if self.high_open else value > self.high
        )

    def describe(self) -> str:
        """``must be between 1 and 100`` (what an error says, and a help text can show)."""
        return self.wording

    def __call__(self, _: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        _check_finite(attribute.name, value)
        if not self.contains(value):
            raise FieldValueError(attribute.name, f"{self.wording}, got {short_repr(value)}")


def between(low: float, high: float, *, low_open: bool = False, high_open: bool = False) -> Range:
    """``low <= value <= high`` (and finite); ``low_open`` / ``high_open`` exclude an end."""
    if low_open or high_open:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        wording = f"must be in {interval}"
    else:
        wording = f"must be between {low} and {high}"
    return Range(low, high, low_open, high_open, wording)


def above(low: float, high: float) -> Range:
    """``low < value <= high`` (and finite): for thresholds where ``low`` itself means nothing."""
    return Range(low, high, True, False, f"must be above {low} and at most {high}")


@attrs.frozen
class Each:
    """Apply ``inner`` to every item of a list or tuple (the field name gets ``[i]``)."""

    inner: Validator

    def __call__(self, instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        for index, item in enumerate(value or ()):
            named = _Named(f"{attribute.name}[{index}]")
            self.inner(instance, cast("attrs.Attribute[Any]", named), item)


def each(validator: Validator) -> Each:
    """Apply ``validator`` to every item of a list or tuple (the field name gets ``[i]``)."""
    return Each(validator)


def at_least(low: float) -> Range:
    """``value >= low`` (and finite): limits, counts and weights (``at_least(1)``: positive)."""
    word = "positive" if low == 1 else f"at least {low}"
    return Range(low, None, False, False, f"must be {word}")


@attrs.frozen
class OneOf:
    """The value is one of ``values`` (``None`` passes): a choice such as ``faces``."""

    values: tuple[Any, ...]

    def __call__(self, _: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None or value in self.values:
            return
        listing = ", ".join(str(v) for v in self.values)
        raise FieldValueError(attribute.name, f"expected one of {listing}, got {short_repr(value)}")


def one_of(values: tuple[Any, ...] | list[Any]) -> OneOf:
    """The value is one of ``values`` (an enum in OpenAPI, a choice on the command line)."""
    return OneOf(tuple(values))


@attrs.frozen
class Distinct:
    """A list names each item once (``--mask box,box`` is refused); empty is unset."""

    def __call__(self, _: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        items = list(value or ())
        for index, item in enumerate(items):
            if item in items[:index]:
                raise FieldValueError(attribute.name, f"lists {short_repr(item)} twice")


distinct = Distinct()
"""The validator of a list of names (masks, areas, regions): none twice."""


def choices_of(validator: Any) -> tuple[Any, ...] | None:
    """The values a field's :class:`OneOf` allows (through ``each`` and attrs' ``and_``)."""
    if isinstance(validator, OneOf):
        return validator.values
    if isinstance(validator, Each):
        return choices_of(validator.inner)
    for inner in getattr(validator, "_validators", ()) or ():
        found = choices_of(inner)
        if found is not None:
            return found
    return None


def range_of(validator: Any) -> Range | None:
    """The :class:`Range` a field's validator checks (through ``each`` and attrs' ``and_``)."""
    if isinstance(validator, Range):
        return validator
    if isinstance(validator, Each):
        return range_of(validator.inner)
    for inner in getattr(validator, "_validators", ()) or ():  # attrs.validators.and_
        found = range_of(inner)
        if found is not None:
            return found
    return None


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
"""Shares and weights in [0, 1]: ``pipeline.enhance_blend`` (``--enhance-blend``), CodeFormer's
fidelity weight."""

image_quality = between(1, 100)
"""JPEG / WebP quality (``--quality``, ``quality=``, the REST ``quality`` field)."""

detect_interval = between(1, 1000)
"""``detect_every``: run the detector on every Nth frame and track in between."""

swap_batch_size = between(1, 64)
"""``pipeline.video.swap_batch`` and ``--swap-batch``: frames whose faces are swapped in one run."""

video_crf = between(0, 63)
"""Constant quality of the video encoder (``--crf``): 0 lossless .. 63 worst for x264/x265."""

cluster_workers = between(1, 4096)
"""``--workers N``: worker processes of a cluster run, each with its own loaded pipeline."""

gpus_per_worker = between(0.0, 64.0)
"""``--gpus-per-worker G``: the GPUs each cluster worker reserves (0.5 puts two on one GPU)."""

regression_tolerance = at_least(0)
"""Slack of the regression gate (``--tolerance METRIC=DELTA``), in the metric's own unit."""

MAX_STEPS = 100_000_000
"""Training steps, eval intervals and the like: a bound far past any real run."""

MAX_PAIRS = 1_000_000
"""Evaluation pairs of one kind: each costs a swap, and the list is held in memory."""

MAX_FRAMES_PER_VIDEO = 1000
"""Frames sampled from one evaluation video: each is decoded, kept as a file and swapped."""


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


@attrs.frozen
class NamedLimits:
    """A list of ``NAME=NUMBER`` strings (``--max-delta ssim=0.05``): see :func:`named_numbers`.

    :ivar names: the names an item may give (the surface generators read them too).
    """

    names: tuple[str, ...]

    def __call__(self, _: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if isinstance(value, str):
            raise FieldValueError(attribute.name, f"expected a list of NAME=NUMBER, got {value!r}")
        named_numbers(value, self.names, field=attribute.name)


def named_limits(names: Collection[str]) -> NamedLimits:
    """A list of ``NAME=NUMBER`` strings, each name from ``names``, each number finite and >= 0."""
    return NamedLimits(tuple(names))


__all__ = [
    "MAX_FRAMES_PER_VIDEO",
    "MAX_IDENTITY_DISTANCE",
    "MAX_PAIRS",
    "MAX_STEPS",
    "Distinct",
    "Each",
    "NamedLimits",
    "OneOf",
    "Range",
    "Validator",
    "above",
    "at_least",
    "between",
    "check_value",
    "choices_of",
    "cluster_workers",
    "detect_interval",
    "distinct",
    "each",
    "frame_rate",
    "gpus_per_worker",
    "identity_threshold",
    "image_quality",
    "learning_rate",
    "loss_weight",
    "named_limits",
    "named_numbers",
    "one_of",
    "range_of",
    "regression_tolerance",
    "swap_batch_size",
    "unit_interval",
    "video_crf",
    "weight_decay",
]
