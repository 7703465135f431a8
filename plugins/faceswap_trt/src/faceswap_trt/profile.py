"""The optimisation profile of an engine: min / opt / max shape per input.

TensorRT needs one for every graph with a dynamic dimension. Shapes given
by the user win (an input named only in ``opt`` gets that shape for all
three); an input whose only dynamic dimension is the batch gets
1 / 1 / ``max_batch``; any other dynamic dimension (an image height) must be
given, or the graph exported static (``faceswap export retinaface --size``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from faceswap_core.errors import ConfigError
from faceswap_core.export.shapes import (
    GraphInput,
    Shape,
    check_against,
    format_shape,
    parse_shapes,
)


@attrs.frozen
class InputRange:
    """The shape range of one input."""

    name: str
    min: Shape
    opt: Shape
    max: Shape

    @property
    def static(self) -> bool:
        return self.min == self.opt == self.max


@attrs.frozen
class Profile:
    """Shape ranges of every input of a graph, in graph order."""

    inputs: tuple[InputRange, ...]

    @property
    def dynamic(self) -> bool:
        """Whether the graph needs an optimisation profile (some input is not one fixed shape)."""
        return any(not item.static for item in self.inputs)

    def key(self) -> tuple[tuple[str, Shape, Shape, Shape], ...]:
        """A hashable, order-independent form for cache keys."""
        return tuple(sorted((i.name, i.min, i.opt, i.max) for i in self.inputs))

    def flags(self) -> dict[str, str]:
        """trtexec's ``minShapes`` / ``optShapes`` / ``maxShapes`` values (empty when static)."""
        if not self.dynamic:
            return {}
        return {
            flag: ",".join(format_shape(i.name, getattr(i, attr)) for i in self.inputs)
            for flag, attr in (("minShapes", "min"), ("optShapes", "opt"), ("maxShapes", "max"))
        }


def resolve_profile(
    inputs: list[GraphInput],
    *,
    min_shape: Iterable[str] = (),
    opt_shape: Iterable[str] = (),
    max_shape: Iterable[str] = (),
    max_batch: int = 1,
    ignore_unknown: bool = False,
) -> Profile:
    """The profile of a graph with ``inputs`` from user shapes and defaults.

    :param ignore_unknown: drop shapes naming inputs the graph does not have
        (the runtime applies one shape list to every model it loads).
    """
    given = {
        "min": parse_shapes(min_shape, option="--min-shape"),
        "opt": parse_shapes(opt_shape, option="--opt-shape"),
        "max": parse_shapes(max_shape, option="--max-shape"),
    }
    names = {item.name for item in inputs}
    for which, shapes in given.items():
        if ignore_unknown:
            given[which] = {k: v for k, v in shapes.items() if k in names}
        check_against(inputs, given[which], option=f"--{which}-shape")
    ranges: list[InputRange] = []
    for item in inputs:
        mins, opts, maxs = (given[w].get(item.name) for w in ("min", "opt", "max"))
        if opts is None and maxs is not None:
            opts = maxs
        if opts is not None:
            ranges.append(_checked(item.name, mins or opts, opts, maxs or opts))
            continue
        if mins is not None:
            raise ConfigError(
                f"--min-shape names {item.name!r} but --opt-shape / --max-shape do not; "
                "give them too"
            )
        if not item.dynamic:
            fixed = tuple(d for d in item.dims if isinstance(d, int))  # nothing is dynamic
            ranges.append(InputRange(item.name, fixed, fixed, fixed))
        elif item.dynamic == (0,):
            rest = tuple(d for d in item.dims[1:] if isinstance(d, int))
            ranges.append(InputRange(item.name, (1, *rest), (1, *rest), (max_batch, *rest)))
        else:
            declared = "x".join(str(d) if isinstance(d, int) else "N" for d in item.dims)
            raise ConfigError(
                f"input {item.name!r} ({declared}) has dynamic dimensions besides the batch; "
                f"give --opt-shape {item.name}:DIMS (and --min/--max-shape), or export the graph "
                "with static dimensions"
            )
    return Profile(tuple(ranges))


def _checked(name: str, low: Shape, opt: Shape, high: Shape) -> InputRange:
    if not all(a <= b <= c for a, b, c in zip(low, opt, high, strict=True)):
        raise ConfigError(
            f"shapes of {name!r} must satisfy min <= opt <= max in every dimension: "
            f"{format_shape(name, low)}, {format_shape(name, opt)}, {format_shape(name, high)}"
        )
    return InputRange(name, low, opt, high)


def profile_from_mapping(ranges: Mapping[str, tuple[Shape, Shape, Shape]]) -> Profile:
    """A profile from ``{name: (min, opt, max)}`` (tests, sidecar files)."""
    return Profile(tuple(InputRange(n, *r) for n, r in ranges.items()))


__all__ = ["InputRange", "Profile", "profile_from_mapping", "resolve_profile"]
