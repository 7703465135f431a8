"""The published contracts of face restorers, checked when their graphs load.

FaceFusion's face enhancer table (``processors/modules/face_enhancer``)
gives each restorer's alignment template and size; all of them take the
aligned crop as RGB in [-1, 1] (``(x / 255 - 0.5) / 0.5``), NCHW, in their
one input (FaceFusion's files name it ``input``), and return the restored
crop the same way as their first output. CodeFormer takes two inputs,
``input`` and ``weight`` (its fidelity, a 1-element double tensor).

================  ======  =====================  ===========
enhancer          size    template               ``weight``
================  ======  =====================  ===========
``gfpgan``        512     ``ffhq``               no
``codeformer``    512     ``ffhq``               yes
``gpen_bfr_256``  256     ``inswapper``          no
``gpen_bfr_512``  512     ``ffhq``               no
================  ======  =====================  ===========

(``inswapper`` is insightface's 128 px template, FaceFusion's ``arcface_128``,
scaled.) A bare ``.onnx`` file is held to GFPGAN's contract. A graph whose
inputs, outputs or sizes differ is a
:class:`~faceswap_core.errors.ModelFileError` (exit code 5) naming the file.
"""

from __future__ import annotations

import attrs

from faceswap_core.errors import ModelFileError
from faceswap_core.interfaces import InferenceSession
from faceswap_core.runtime.batch import static_batch
from faceswap_core.swappers.contract import check_declared, shape_text

IMAGE_INPUT = "input"
WEIGHT_INPUT = "weight"


@attrs.frozen
class EnhancerSpec:
    """What a kind of restorer takes: its crop side, its alignment template, a weight input."""

    name: str
    size: int
    template: str
    weight: bool = False


PUBLISHED: dict[str, EnhancerSpec] = {
    spec.name: spec
    for spec in (
        EnhancerSpec("gfpgan", 512, "ffhq"),
        EnhancerSpec("codeformer", 512, "ffhq", weight=True),
        EnhancerSpec("gpen_bfr_256", 256, "inswapper"),
        EnhancerSpec("gpen_bfr_512", 512, "ffhq"),
    )
}
"""Every core enhancer's contract, by component name (module docstring)."""

BARE_FILE = "gfpgan"
"""The contract a ``.onnx`` path given as ``pipeline.enhancer`` is held to."""


@attrs.frozen
class EnhancerContract:
    """Which tensors to feed and read, after checking the graph against its :class:`EnhancerSpec`.

    :ivar batch: the graph's fixed batch size, or ``None`` when it takes any.
    :ivar weight_type: the weight input's element type (``double`` or ``float``).
    """

    spec: EnhancerSpec
    input: str
    output: str
    batch: int | None
    weight: str | None = None
    weight_type: str = "double"


def check_enhancer(session: InferenceSession, origin: str, spec: EnhancerSpec) -> EnhancerContract:
    """Check a restorer graph against ``spec``: its inputs, its output and their sizes."""
    what = (
        f"a {spec.name} restorer (input [N, 3, {spec.size}, {spec.size}] in [-1, 1]"
        f"{' and weight [1]' if spec.weight else ''}, the same out)"
    )
    inputs = list(session.input_names)
    if spec.weight:
        ok = sorted(inputs) == sorted([IMAGE_INPUT, WEIGHT_INPUT])
        wanted = f"inputs {IMAGE_INPUT!r} and {WEIGHT_INPUT!r}"
    else:
        ok = len(inputs) == 1
        wanted = "one input"
    if not ok or not session.output_names:
        hint = ""
        if WEIGHT_INPUT in inputs and not spec.weight:
            hint = "; it takes a weight: use the codeformer enhancer"
        elif spec.weight and WEIGHT_INPUT not in inputs:
            hint = "; without a weight input it is not CodeFormer: use gfpgan"
        raise ModelFileError(
            f"model {origin} is not {what}: expected {wanted} and an output, got "
            f"inputs {inputs} and outputs {list(session.output_names)}{hint}"
        )
    image = IMAGE_INPUT if spec.weight else inputs[0]
    size = spec.size
    shape = tuple(session.input_shapes.get(image, ()))
    check_declared(origin, f"input {image!r} of {what}", shape, (None, 3, size, size))
    output = session.output_names[0]
    check_declared(
        origin,
        f"output {output!r} of {what}",
        tuple(session.output_shapes.get(output, ())),
        (None, 3, size, size),
    )
    weight_type = "double"
    if spec.weight:
        weight_shape = tuple(session.input_shapes.get(WEIGHT_INPUT, ()))
        if len(weight_shape) != 1 or (isinstance(weight_shape[0], int) and weight_shape[0] != 1):
            raise ModelFileError(
                f"model {origin}: input {WEIGHT_INPUT!r} is {shape_text(weight_shape)}, "
                f"expected [1] (CodeFormer's fidelity weight)"
            )
        declared = str(getattr(session, "input_types", {}).get(WEIGHT_INPUT, "tensor(double)"))
        weight_type = "double" if "double" in declared else "float"
    return EnhancerContract(
        spec,
        image,
        output,
        static_batch(session, image),
        WEIGHT_INPUT if spec.weight else None,
        weight_type,
    )


__all__ = [
    "BARE_FILE",
    "IMAGE_INPUT",
    "PUBLISHED",
    "WEIGHT_INPUT",
    "EnhancerContract",
    "EnhancerSpec",
    "check_enhancer",
]
