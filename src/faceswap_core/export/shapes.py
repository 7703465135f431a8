"""Tensor shapes of ONNX graphs: reading the declared inputs, parsing ``NAME:1x3x112x112``.

Exporters, the TensorRT engine builder and ``faceswap export verify`` all need
the same two things: what a graph declares for each input (static ints or
named dynamic dimensions) and shapes written on the command line the way
``trtexec`` writes them (``--minShapes=input:1x3x112x112``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs
import numpy as np

from faceswap_core.errors import ConfigError, ModelFileError

Dim = int | str | None
"""A declared dimension: an int, a symbolic name (``N``) or unknown (``None``)."""

Shape = tuple[int, ...]

_SHAPE = re.compile(r"^(?P<name>.+):(?P<dims>\d+(?:x\d+)*)$")

MAX_DIM = 1 << 20
"""Largest dimension accepted on the command line (guards against typos such as 10000000)."""


@attrs.frozen
class GraphInput:
    """One declared input of an ONNX graph."""

    name: str
    dims: tuple[Dim, ...]
    dtype: np.dtype[np.generic]

    @property
    def dynamic(self) -> tuple[int, ...]:
        """Indices of the dimensions that are not fixed ints."""
        return tuple(i for i, dim in enumerate(self.dims) if not isinstance(dim, int))


def graph_inputs(model: Path | bytes) -> list[GraphInput]:
    """The real inputs of an ONNX file (initializers excluded), without loading weights."""
    import onnx
    from onnx import helper

    origin = "<bytes>" if isinstance(model, bytes) else str(model)
    try:
        proto = (
            onnx.load_from_string(model)
            if isinstance(model, bytes)
            else onnx.load(str(model), load_external_data=False)
        )
    except FileNotFoundError:
        raise ModelFileError(f"model file missing: {origin}") from None
    except Exception as exc:
        raise ModelFileError(f"cannot read ONNX model {origin}: {exc}") from None
    initializers = {init.name for init in proto.graph.initializer}
    found: list[GraphInput] = []
    for value in proto.graph.input:
        if value.name in initializers:
            continue
        tensor = value.type.tensor_type
        dims: list[Dim] = []
        for dim in tensor.shape.dim:
            if dim.HasField("dim_value"):
                dims.append(int(dim.dim_value))
            else:
                dims.append(dim.dim_param or None)
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type))
        found.append(GraphInput(value.name, tuple(dims), dtype))
    return found


def parse_shape(text: str, *, option: str = "--shape") -> tuple[str, Shape]:
    """``"input:1x3x112x112"`` -> ``("input", (1, 3, 112, 112))``; the name may contain ``:``."""
    match = _SHAPE.match(text.strip())
    if match is None:
        raise ConfigError(
            f"{option} {text!r} is not NAME:DIMS; write it like trtexec, e.g. target:1x3x112x112"
        )
    dims = tuple(int(d) for d in match.group("dims").split("x"))
    if any(d < 1 or d > MAX_DIM for d in dims):
        raise ConfigError(f"{option} {text!r}: every dimension must be 1..{MAX_DIM}")
    return match.group("name"), dims


def parse_shapes(texts: Iterable[str], *, option: str = "--shape") -> dict[str, Shape]:
    """Several ``NAME:DIMS`` (each may also be a comma list); a repeated name is an error."""
    shapes: dict[str, Shape] = {}
    for text in texts:
        for part in _split_commas(text):
            name, dims = parse_shape(part, option=option)
            if name in shapes:
                raise ConfigError(f"{option}: input {name!r} is given twice")
            shapes[name] = dims
    return shapes


def _split_commas(text: str) -> list[str]:
    # "a:1x3,b:1x5" -> ["a:1x3", "b:1x5"]; a comma belongs to the list only before a name.
    return [part for part in re.split(r",(?=[^,]+:\d)", text) if part.strip()]


def format_shape(name: str, dims: Shape) -> str:
    """The inverse of :func:`parse_shape`: ``input:1x3x112x112``."""
    return f"{name}:{'x'.join(str(d) for d in dims)}"


def check_against(inputs: list[GraphInput], shapes: Mapping[str, Shape], *, option: str) -> None:
    """Every shape names a graph input, has its rank and keeps its fixed dimensions."""
    declared = {item.name: item for item in inputs}
    for name, dims in shapes.items():
        item = declared.get(name)
        if item is None:
            raise ConfigError(
                f"{option}: the graph has no input {name!r}; its inputs are "
                f"{', '.join(declared) or 'none'}"
            )
        if len(dims) != len(item.dims):
            raise ConfigError(
                f"{option} {format_shape(name, dims)}: input {name!r} has rank {len(item.dims)}"
                f" ({_declared(item)})"
            )
        for index, (given, fixed) in enumerate(zip(dims, item.dims, strict=True)):
            if isinstance(fixed, int) and given != fixed:
                raise ConfigError(
                    f"{option} {format_shape(name, dims)}: dimension {index} of {name!r} is "
                    f"fixed at {fixed} ({_declared(item)})"
                )


def _declared(item: GraphInput) -> str:
    return "declared " + "x".join("?" if not isinstance(d, int) else str(d) for d in item.dims)


def concrete_shapes(
    inputs: list[GraphInput], given: Mapping[str, Shape], *, batch: int = 1, option: str = "--shape"
) -> dict[str, Shape]:
    """A concrete shape per input: ``given`` wins, else fixed dims and ``batch`` for N.

    A dynamic dimension other than the first (the batch) needs ``given``:
    there is no safe default for an image height.
    """
    check_against(inputs, given, option=option)
    shapes: dict[str, Shape] = {}
    for item in inputs:
        if item.name in given:
            shapes[item.name] = given[item.name]
            continue
        dims: list[int] = []
        for index, dim in enumerate(item.dims):
            if isinstance(dim, int):
                dims.append(dim)
            elif index == 0:
                dims.append(batch)
            else:
                raise ConfigError(
                    f"input {item.name!r} has a dynamic dimension {index} ({_declared(item)}); "
                    f"give its shape with {option} {item.name}:"
                    + "x".join(str(d) if isinstance(d, int) else "N" for d in item.dims)
                )
        shapes[item.name] = tuple(dims)
    return shapes


__all__ = [
    "Dim",
    "GraphInput",
    "Shape",
    "check_against",
    "concrete_shapes",
    "format_shape",
    "graph_inputs",
    "parse_shape",
    "parse_shapes",
]
