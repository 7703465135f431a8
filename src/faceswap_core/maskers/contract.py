"""What an occluder (XSeg) and a face parser (BiSeNet) graph must look like, checked on load.

Model files are untrusted input: a graph whose tensors do not have the
layout its type promises would otherwise run and paste nonsense. The
contracts are FaceFusion's (``face_masker.py``), so their published files
load as they are:

- **occluder** (``xseg_1/2/3``): one input, N x S x S x 3 (NHWC) float, the
  crop resized to S (256) with BGR channels in [0, 1]; the first output
  N x S x S x 1, the share of each pixel where the face is visible.
- **parser** (``bisenet_resnet_18/34``): one input, N x 3 x S x S (NCHW)
  float, the crop resized to S (512), RGB normalised with the ImageNet mean
  and std; the first output N x 19 x S x S, a score per CelebAMask-HQ class.

A symbolic dimension (a dynamic batch ``N``, or a size) is accepted: sizes
then take the published default. Any other mismatch is a
:class:`~faceswap_core.errors.ModelFileError` (exit code 5) naming the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from faceswap_core.errors import ModelFileError
from faceswap_core.interfaces import InferenceSession
from faceswap_core.runtime.batch import static_batch
from faceswap_core.swappers.contract import check_declared, shape_text

OCCLUDER_SIZE = 256
"""XSeg's input side (FaceFusion's ``xseg_1/2/3`` model table)."""

PARSER_SIZE = 512
"""BiSeNet's input side (FaceFusion's ``bisenet_resnet_18/34`` model table)."""

PARSER_CLASSES = 19
"""CelebAMask-HQ's classes: background and 18 face and head parts."""

MAX_MODEL_SIDE = 2048
"""Largest input side a masker or enhancer graph may declare."""


@attrs.frozen
class ImageContract:
    """Which tensors of a one-image graph to feed and read, and at what size.

    :ivar batch: the graph's fixed batch size, or ``None`` when it takes any.
    """

    input: str
    output: str
    size: int
    batch: int | None


def square_side(
    origin: str, what: str, shape: Sequence[Any], axes: tuple[int, int], default: int
) -> int:
    """The side of a square image tensor: its static spatial size, or ``default`` if symbolic."""
    sides = {shape[axis] for axis in axes if isinstance(shape[axis], int)}
    if len(sides) > 1:
        raise ModelFileError(f"model {origin}: {what} is {shape_text(shape)}; it must be square")
    side = sides.pop() if sides else default
    if not 16 <= side <= MAX_MODEL_SIDE:
        raise ModelFileError(
            f"model {origin}: {what} is {shape_text(shape)}; sides must be 16..{MAX_MODEL_SIDE}"
        )
    return side


def _one_input(session: InferenceSession, origin: str, kind: str) -> tuple[str, tuple[Any, ...]]:
    inputs = list(session.input_names)
    if len(inputs) != 1 or not session.output_names:
        raise ModelFileError(
            f"model {origin} is not {kind}: expected one input and an output, got inputs "
            f"{inputs} and outputs {list(session.output_names)}"
        )
    return inputs[0], tuple(session.input_shapes.get(inputs[0], ()))


def check_occluder(session: InferenceSession, origin: str) -> ImageContract:
    """Check an XSeg-style occluder: N x S x S x 3 in, N x S x S x 1 out (module docstring)."""
    kind = "an XSeg occluder (N x S x S x 3 in, N x S x S x 1 out)"
    name, shape = _one_input(session, origin, kind)
    check_declared(origin, f"input {name!r} of {kind}", shape, (None, None, None, 3))
    size = square_side(origin, f"input {name!r}", shape, (1, 2), OCCLUDER_SIZE)
    check_declared(origin, f"input {name!r} of {kind}", shape, (None, size, size, 3))
    output = session.output_names[0]
    check_declared(
        origin,
        f"output {output!r} of {kind}",
        tuple(session.output_shapes.get(output, ())),
        (None, size, size, 1),
    )
    return ImageContract(name, output, size, static_batch(session, name))


def check_parser(session: InferenceSession, origin: str) -> ImageContract:
    """Check a BiSeNet face parser: N x 3 x S x S in, N x 19 x S x S out (module docstring)."""
    kind = f"a BiSeNet face parser (N x 3 x S x S in, N x {PARSER_CLASSES} x S x S out)"
    name, shape = _one_input(session, origin, kind)
    check_declared(origin, f"input {name!r} of {kind}", shape, (None, 3, None, None))
    size = square_side(origin, f"input {name!r}", shape, (2, 3), PARSER_SIZE)
    check_declared(origin, f"input {name!r} of {kind}", shape, (None, 3, size, size))
    output = session.output_names[0]
    check_declared(
        origin,
        f"output {output!r} of {kind}",
        tuple(session.output_shapes.get(output, ())),
        (None, PARSER_CLASSES, size, size),
    )
    return ImageContract(name, output, size, static_batch(session, name))


__all__ = [
    "MAX_MODEL_SIDE",
    "OCCLUDER_SIZE",
    "PARSER_CLASSES",
    "PARSER_SIZE",
    "ImageContract",
    "check_occluder",
    "check_parser",
    "square_side",
]
