"""``faceswap export verify``: the same inputs through two runtimes, outputs compared.

The question a deployment asks before shipping an engine is "does it still
compute the same thing?". This module answers it for any pair of runtimes:
a reference (ONNX Runtime, by default) runs the ONNX graph, a candidate
(TensorRT, by default) runs the ONNX graph or a prebuilt engine, both on the
same inputs (seeded random tensors in [0, 1), or arrays from an ``.npz``),
and every output is compared by maximum and mean absolute difference
against a tolerance. A candidate runtime that fell back to the reference
(TensorRT missing) would compare a runtime with itself, so that is an
error, not a pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from faceswap_core.errors import InputError, ModelFileError, RuntimeUnavailableError
from faceswap_core.export.shapes import GraphInput, Shape, concrete_shapes, graph_inputs
from faceswap_core.interfaces import DescribedRuntime, InferenceSession, Runtime

Arrays = Mapping[str, np.ndarray[Any, Any]]

DEFAULT_ATOL = 1e-2
"""Default tolerance: FP16 engines differ from FP32 ONNX Runtime by 1e-3..1e-2 on [0, 1] outputs."""


class VerificationError(ModelFileError):
    """The candidate's outputs differ from the reference's beyond the tolerance (exit code 5)."""


@attrs.frozen
class OutputDiff:
    """How one output differs between the reference and the candidate."""

    name: str
    shape: Shape
    max_abs_diff: float
    mean_abs_diff: float
    ok: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "shape": list(self.shape),
            "max_abs_diff": self.max_abs_diff,
            "mean_abs_diff": self.mean_abs_diff,
            "ok": self.ok,
        }


@attrs.frozen
class VerifyReport:
    """The comparison of every output, and whether all are within ``atol``."""

    reference: str
    candidate: str
    atol: float
    inputs: Mapping[str, Shape]
    outputs: tuple[OutputDiff, ...]

    @property
    def passed(self) -> bool:
        return all(diff.ok for diff in self.outputs)

    @property
    def max_abs_diff(self) -> float:
        return max((d.max_abs_diff for d in self.outputs), default=0.0)

    @property
    def mean_abs_diff(self) -> float:
        return max((d.mean_abs_diff for d in self.outputs), default=0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "candidate": self.candidate,
            "atol": self.atol,
            "passed": self.passed,
            "max_abs_diff": self.max_abs_diff,
            "mean_abs_diff": self.mean_abs_diff,
            "inputs": {name: list(shape) for name, shape in self.inputs.items()},
            "outputs": [diff.to_dict() for diff in self.outputs],
        }


def compare_outputs(reference: Arrays, candidate: Arrays, *, atol: float) -> tuple[OutputDiff, ...]:
    """Per output of ``reference``: max and mean absolute difference, and ``max <= atol``.

    NaN anywhere counts as an infinite difference; a missing output or a shape
    mismatch is a :class:`VerificationError`.
    """
    diffs: list[OutputDiff] = []
    for name, expected in reference.items():
        if name not in candidate:
            raise VerificationError(
                f"the candidate has no output {name!r} (it has {', '.join(candidate) or 'none'})"
            )
        want = np.asarray(expected, dtype=np.float64)
        got = np.asarray(candidate[name], dtype=np.float64)
        if want.shape != got.shape:
            raise VerificationError(
                f"output {name!r} has shape {list(got.shape)} from the candidate and "
                f"{list(want.shape)} from the reference"
            )
        delta = np.abs(want - got)
        if delta.size == 0:
            largest, mean = 0.0, 0.0
        elif not np.all(np.isfinite(delta)):
            largest, mean = float("inf"), float("inf")
        else:
            largest, mean = float(delta.max()), float(delta.mean())
        diffs.append(OutputDiff(name, tuple(want.shape), largest, mean, largest <= atol))
    return tuple(diffs)


def random_inputs(
    inputs: list[GraphInput], shapes: Mapping[str, Shape], *, seed: int = 0
) -> dict[str, np.ndarray[Any, Any]]:
    """Seeded inputs: floats uniform in [0, 1) (image-like), integers and bools zero."""
    rng = np.random.default_rng(seed)
    feeds: dict[str, np.ndarray[Any, Any]] = {}
    for item in inputs:
        shape = shapes[item.name]
        if np.issubdtype(item.dtype, np.floating):
            feeds[item.name] = rng.random(shape, dtype=np.float32).astype(item.dtype)
        else:
            feeds[item.name] = np.zeros(shape, dtype=item.dtype)
    return feeds


def load_inputs(path: Path, inputs: list[GraphInput]) -> dict[str, np.ndarray[Any, Any]]:
    """Arrays from an ``.npz`` (one per graph input, by name); pickles are refused."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: np.asarray(data[name]) for name in data.files}
    except FileNotFoundError:
        raise InputError(f"inputs file missing: {path}") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read inputs {path}: {exc} (expected an .npz)") from None
    missing = [item.name for item in inputs if item.name not in arrays]
    if missing:
        raise InputError(
            f"inputs {path} has no array for {', '.join(missing)} (it has {', '.join(arrays)})"
        )
    return {item.name: arrays[item.name].astype(item.dtype, copy=False) for item in inputs}


def _check_not_fallen_back(runtime: Runtime, role: str) -> None:
    if isinstance(runtime, DescribedRuntime):
        facts = runtime.describe()
        if facts.get("fallback"):
            reason = facts.get("reason") or "it fell back to another runtime"
            raise RuntimeUnavailableError(
                f"the {role} runtime {runtime.name} is not usable here: {reason}; "
                "verify needs it to run for real"
            )


def verify(
    onnx_model: Path,
    *,
    reference: Runtime,
    candidate: Runtime,
    candidate_model: Path | None = None,
    shapes: Mapping[str, Shape] | None = None,
    batch: int = 1,
    inputs_file: Path | None = None,
    seed: int = 0,
    atol: float = DEFAULT_ATOL,
) -> VerifyReport:
    """Run ``onnx_model`` on ``reference`` and ``candidate_model`` (default: the same ONNX)
    on ``candidate`` with the same inputs and compare every output."""
    declared = graph_inputs(onnx_model)
    if inputs_file is not None:
        feeds = load_inputs(inputs_file, declared)
    else:
        concrete = concrete_shapes(declared, shapes or {}, batch=batch)
        feeds = random_inputs(declared, concrete, seed=seed)
    reference_session: InferenceSession = reference.load(onnx_model)
    candidate_session: InferenceSession = candidate.load(candidate_model or onnx_model)
    _check_not_fallen_back(candidate, "candidate")
    expected = reference_session.run(feeds)
    got = candidate_session.run(feeds)
    return VerifyReport(
        reference=reference.name,
        candidate=candidate.name,
        atol=atol,
        inputs={name: tuple(array.shape) for name, array in feeds.items()},
        outputs=compare_outputs(expected, got, atol=atol),
    )


__all__ = [
    "DEFAULT_ATOL",
    "OutputDiff",
    "VerificationError",
    "VerifyReport",
    "compare_outputs",
    "load_inputs",
    "random_inputs",
    "verify",
]
