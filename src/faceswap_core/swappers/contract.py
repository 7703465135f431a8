"""The contracts ONNX swap models must meet, checked when they load and when they run.

Model files are untrusted input. A graph whose tensors do not have the shapes
its metadata promises would otherwise run and paste garbage (a 64 px output
read as 128 px leaves black seams) with exit code 0. So every ONNX swapper
checks, before its first swap:

- input and output names and ranks, and every static dimension against what
  the pipeline will feed and read back (a symbolic dimension, such as a
  dynamic batch ``N``, is accepted and checked on each run instead);
- its metadata: integers in their ranges, a known alignment template;

and after every run, that the outputs have exactly the expected shape and
finite values. Any mismatch is a :class:`~faceswap_core.errors.ModelFileError`
(exit code 5) naming the model file.

The ``onnx`` export contract (what ``faceswap-unet`` exports):

- inputs ``target`` (N x 3 x S x S float32 RGB in [0, 1]) and ``source``
  (N x D float32, the L2-normalised identity embedding);
- outputs ``output`` (N x 3 x S x S in [0, 1]) and optionally ``mask`` (N x 1 x S x S);
- metadata ``faceswap.crop_size`` (S, 64..1024), ``faceswap.template`` (an
  alignment template), ``faceswap.recognizer`` (which recognizer made the
  embeddings), ``faceswap.embedding_dim`` (D, 1..4096);
- optionally ``faceswap.recognizer_sha256`` and ``faceswap.probes_sha256``
  together: the export carries its training recognizer and probe faces
  beside it (:mod:`faceswap_core.swappers.export_recognizer`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from faceswap_core.errors import ModelFileError
from faceswap_core.interfaces import InferenceSession
from faceswap_core.swappers.configs import CROP_SIZE_MAX, CROP_SIZE_MIN
from faceswap_core.vision.align import fixed_templates

MAX_EMBEDDING_DIM = 4096
"""Largest identity embedding a swap model may ask for."""

EXPORT_INPUTS: tuple[str, ...] = ("target", "source")
EXPORT_OUTPUT = "output"
EXPORT_MASK = "mask"

METADATA_KEYS: tuple[str, ...] = (
    "faceswap.crop_size",
    "faceswap.template",
    "faceswap.recognizer",
    "faceswap.embedding_dim",
)

COMPANION_KEYS: tuple[str, ...] = ("faceswap.recognizer_sha256", "faceswap.probes_sha256")
"""Metadata pinning the export's recognizer graph and probe file (both or neither)."""

Expected = Sequence[int | None]
"""Expected dimensions: an int must match a static dimension; ``None`` accepts any."""


def shape_text(shape: Sequence[Any]) -> str:
    """``[N, 3, 128, 128]``: static sizes as numbers, symbolic ones by name (``?`` if unnamed)."""
    parts = [str(d) if isinstance(d, int) else (str(d) if d else "?") for d in shape]
    return "[" + ", ".join(parts) + "]"


def check_declared(origin: str, what: str, shape: Sequence[Any], expected: Expected) -> None:
    """Check a declared tensor shape: the rank, and every static dimension that is given."""
    want = shape_text([e if e is not None else "*" for e in expected])
    if len(shape) != len(expected):
        raise ModelFileError(
            f"model {origin}: {what} has rank {len(shape)} {shape_text(shape)}, "
            f"expected rank {len(expected)} {want}"
        )
    for actual, size in zip(shape, expected, strict=True):
        if size is not None and isinstance(actual, int) and actual != size:
            raise ModelFileError(f"model {origin}: {what} is {shape_text(shape)}, expected {want}")


def check_output(
    origin: str, name: str, value: Any, expected: tuple[int, ...]
) -> np.ndarray[Any, Any]:
    """An output as float32 after checking its run-time shape and that every value is finite."""
    array = np.asarray(value)
    if array.shape != expected:
        raise ModelFileError(
            f"model {origin}: output {name!r} came back {shape_text(array.shape)}, expected "
            f"{shape_text(expected)}; the graph does not match its declared crop size"
        )
    if array.dtype.kind not in "fiu":
        raise ModelFileError(f"model {origin}: output {name!r} has dtype {array.dtype}")
    array = array.astype(np.float32, copy=False)
    if not np.isfinite(array).all():
        raise ModelFileError(f"model {origin}: output {name!r} contains NaN or infinite values")
    return array


def metadata_int(origin: str, metadata: Mapping[str, str], key: str, low: int, high: int) -> int:
    """An integer metadata value within ``low..high``."""
    text = metadata[key].strip()
    if not text.isascii() or not text.isdigit():
        raise ModelFileError(f"model {origin}: metadata {key} must be an integer, got {text!r}")
    value = int(text)
    if not low <= value <= high:
        raise ModelFileError(
            f"model {origin}: metadata {key} must be between {low} and {high}, got {value}"
        )
    return value


@attrs.frozen
class ExportContract:
    """What an ``onnx`` export declares, after checking it."""

    crop_size: int
    embedding_dim: int
    template: str
    recognizer: str
    has_mask: bool
    recognizer_sha256: str | None = None
    probes_sha256: str | None = None

    @property
    def carries_recognizer(self) -> bool:
        """Whether the export ships its training recognizer and probe faces beside it."""
        return self.recognizer_sha256 is not None


def _companion_hashes(origin: str, meta: Mapping[str, str]) -> tuple[str | None, str | None]:
    present = [key for key in COMPANION_KEYS if key in meta]
    if not present:
        return None, None
    if len(present) != len(COMPANION_KEYS):
        missing = next(key for key in COMPANION_KEYS if key not in meta)
        raise ModelFileError(f"model {origin}: metadata {present[0]} without {missing}")
    hashes = []
    for key in COMPANION_KEYS:
        value = meta[key].strip().lower()
        if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
            raise ModelFileError(f"model {origin}: metadata {key} is not a SHA-256 hex digest")
        hashes.append(value)
    return hashes[0], hashes[1]


def check_export(
    session: InferenceSession, origin: str, *, batch: int | None = 1
) -> ExportContract:
    """Check a graph against the ``onnx`` export contract (module docstring).

    :param batch: the static batch a fixed first dimension must have: 1 for the
        ``onnx`` swapper (it swaps one crop at a time); an exporter checking a
        ``--static --batch B`` graph passes B, ``None`` accepts any.
    """
    meta = session.metadata
    missing = [key for key in METADATA_KEYS if key not in meta]
    if missing:
        raise ModelFileError(
            f"model {origin} is not a faceswap export: metadata {', '.join(missing)} missing; "
            "export it with faceswap export, or use --model inswapper for inswapper graphs"
        )
    size = metadata_int(origin, meta, "faceswap.crop_size", CROP_SIZE_MIN, CROP_SIZE_MAX)
    dim = metadata_int(origin, meta, "faceswap.embedding_dim", 1, MAX_EMBEDDING_DIM)
    template = meta["faceswap.template"]
    known = fixed_templates()
    if template not in known:
        raise ModelFileError(
            f"model {origin}: unknown faceswap.template {template!r}; known: {', '.join(known)}"
        )
    recognizer = meta["faceswap.recognizer"].strip()
    if not recognizer:
        raise ModelFileError(f"model {origin}: metadata faceswap.recognizer is empty")
    inputs, outputs = tuple(session.input_names), tuple(session.output_names)
    if (
        sorted(inputs) != sorted(EXPORT_INPUTS)
        or EXPORT_OUTPUT not in outputs
        or not set(outputs) <= {EXPORT_OUTPUT, EXPORT_MASK}
    ):
        raise ModelFileError(
            f"model {origin}: expected inputs target, source and outputs output (+ mask), "
            f"got inputs {list(inputs)} and outputs {list(outputs)}"
        )
    shapes, out_shapes = session.input_shapes, session.output_shapes
    check_declared(origin, "input 'target'", shapes["target"], (batch, 3, size, size))
    check_declared(origin, "input 'source'", shapes["source"], (batch, dim))
    check_declared(origin, "output 'output'", out_shapes[EXPORT_OUTPUT], (batch, 3, size, size))
    has_mask = EXPORT_MASK in outputs
    if has_mask:
        check_declared(origin, "output 'mask'", out_shapes[EXPORT_MASK], (batch, 1, size, size))
    recognizer_sha256, probes_sha256 = _companion_hashes(origin, meta)
    return ExportContract(
        size, dim, template, recognizer, has_mask, recognizer_sha256, probes_sha256
    )


@attrs.frozen
class InswapperContract:
    """Which input is which in an inswapper graph, and its crop size."""

    target: str
    source: str
    output: str
    crop_size: int


INSWAPPER_DEFAULT_SIZE = 128


def check_inswapper(
    session: InferenceSession, origin: str, emap_dim: int | None
) -> InswapperContract:
    """Check an inswapper_128-compatible graph: target N x 3 x S x S, source N x D, one output.

    Inputs named ``target`` / ``source`` are taken by name; otherwise by rank
    (4 for the crop, 2 for the latent). ``D`` must be the emap's size
    (``emap_dim``; ``None`` checks the signature before the emap is read).
    """
    inputs, outputs = list(session.input_names), list(session.output_names)
    if len(inputs) != 2 or len(outputs) != 1:
        raise ModelFileError(
            f"model {origin}: an inswapper graph has 2 inputs and 1 output, got {inputs} and "
            f"{outputs}"
        )
    shapes = session.input_shapes
    if set(inputs) == {"target", "source"}:
        target, source = "target", "source"
    else:
        ranks = {name: len(shapes.get(name, ())) for name in inputs}
        four = [n for n, r in ranks.items() if r == 4]
        two = [n for n, r in ranks.items() if r == 2]
        if len(four) != 1 or len(two) != 1:
            raise ModelFileError(
                f"model {origin}: cannot tell target and source inputs apart by rank: {ranks}"
            )
        target, source = four[0], two[0]
    target_shape = tuple(shapes.get(target, ()))
    check_declared(origin, f"input {target!r}", target_shape, (1, 3, None, None))
    spatial = [d for d in target_shape[2:] if isinstance(d, int)]
    if len(set(spatial)) > 1:
        raise ModelFileError(
            f"model {origin}: input {target!r} is {shape_text(target_shape)}; "
            "the crop must be square"
        )
    size = spatial[0] if spatial else INSWAPPER_DEFAULT_SIZE
    if not CROP_SIZE_MIN <= size <= CROP_SIZE_MAX:
        raise ModelFileError(
            f"model {origin}: crop size {size} is outside {CROP_SIZE_MIN}..{CROP_SIZE_MAX}"
        )
    check_declared(origin, f"input {target!r}", target_shape, (1, 3, size, size))
    check_declared(origin, f"input {source!r}", tuple(shapes.get(source, ())), (1, emap_dim))
    output = outputs[0]
    check_declared(
        origin,
        f"output {output!r}",
        tuple(session.output_shapes.get(output, ())),
        (1, 3, size, size),
    )
    return InswapperContract(target, source, output, size)


__all__ = [
    "COMPANION_KEYS",
    "EXPORT_INPUTS",
    "EXPORT_MASK",
    "EXPORT_OUTPUT",
    "MAX_EMBEDDING_DIM",
    "METADATA_KEYS",
    "ExportContract",
    "InswapperContract",
    "check_declared",
    "check_export",
    "check_inswapper",
    "check_output",
    "metadata_int",
    "shape_text",
]
