"""Check a model file against the component that will use it, before it enters the store.

``faceswap models add NAME FILE`` must not store a file the pipeline would
later reject (or worse, run). The component that will load a catalog model is
found through the registry, never named here: it is every component of the
catalog entry's kind whose config's ``model`` field defaults to that name
(``inswapper_128`` for the ``inswapper`` swapper, and a plugin's recognizer
for ``w600k_r50``). Each is built from FILE exactly as the pipeline builds it,
so the file passes the same load-time contract checks. When no installed
component loads the name, the file must at least load in the runtime. Your
own models (``faceswap models add NAME FILE --type onnx``) name the component
that loads them, and are checked by it. A swap model that needs a pipeline
recognizer to embed its source (one without a recognizer graph of its own)
is refused when no installed plugin provides that recognizer: it could
never be served.

Loading is not enough: a graph can declare the right shapes and still return
NaN, or another shape at run time. So each component then runs once on a
synthetic input through its own interface (a swap of a crop, an embedding, a
detection, landmarks), which runs the component's run-time contract checks,
and every number it returns must be finite. A model nobody loads runs once on
inputs of its declared shapes. The run is under the runtime's time and
memory limits (:mod:`faceswap_core.runtime.limits`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import numpy as np

from faceswap_core.errors import FaceswapError, ModelFileError
from faceswap_core.interfaces import Face, InferenceSession, MaskInput, ModelLocator
from faceswap_core.models.catalog import ModelSpec
from faceswap_core.pipeline.context import build_context
from faceswap_core.plugin.kinds import RECOGNIZER, SWAPPER, kind_named
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.plugin.registry import Component
from faceswap_core.vision.align import fixed_templates
from faceswap_core.vision.align import template as template_points

MODEL_FIELD = "model"


def consumers(spec: ModelSpec, plugins: FaceswapPlugins) -> list[Component[Any]]:
    """Registered components of ``spec.kind`` that load ``spec.name`` by default.

    Your own models name their loader (``spec.loader``): that one component,
    which must be installed. A catalog entry that names its ``component`` is
    loaded by that one, when it is installed.
    """
    registry = plugins.registry(kind_named(spec.kind))
    if spec.loader is not None:
        return [registry.get(spec.loader)]
    if spec.component is not None:
        return [registry.get(spec.component)] if spec.component in registry else []
    found = []
    for component in registry:
        config = component.config
        if config is None or not attrs.has(config):
            continue
        fields = {field.name: field for field in attrs.fields(config)}
        field = fields.get(MODEL_FIELD)
        if field is not None and field.default == spec.name:
            found.append(component)
    return found


def check_model_file(
    spec: ModelSpec, path: Path, plugins: FaceswapPlugins, *, models: ModelLocator | None = None
) -> list[str]:
    """Build each consumer of ``spec`` from ``path``; return the component names checked.

    An empty list means no installed component loads this model, and only
    that the file loads in the default runtime was checked.

    :raises ModelFileError: the file does not parse or breaks a component's contract.
    """
    context = build_context(plugins, models=models)
    checked = []
    for component in consumers(spec, plugins):
        built = plugins.build(
            kind_named(spec.kind),
            {"type": component.name, MODEL_FIELD: str(path)},
            context=context,
            path=f"$.{spec.kind}",
        )
        if spec.kind == SWAPPER.name:
            check_recognizer_served(built, path, plugins)
        test_run(spec.kind, built, f"{path} ({spec.kind} {component.name})")
        checked.append(component.name)
    if not checked:
        run_declared(context.runtime.load(path), str(path))
    return checked


PROBE_SIZE = 256
"""Side of the synthetic image detectors, recognizers and landmarkers are tried on."""

MASK_PROBE_SIZE = 128
"""Side of the synthetic crop a masker is tried on (a swap model's usual crop)."""


def _probe_image(size: int) -> np.ndarray[Any, Any]:
    """A deterministic image with structure (a gradient and noise), not a flat colour."""
    rng = np.random.default_rng(17)
    ramp = np.linspace(40, 215, size, dtype=np.float32)
    image = (ramp[None, :, None] + ramp[:, None, None]) / 2 + rng.normal(0, 12, (size, size, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def _probe_face(size: int, kind: str, dim: int | None) -> Face:
    """A face where the template puts it in a ``size`` crop, with a unit embedding of ``dim``."""
    points = template_points(size, kind if kind in fixed_templates() else "arcface")
    embedding = None
    if dim:
        vector = np.random.default_rng(5).standard_normal(dim).astype(np.float32)
        embedding = vector / np.linalg.norm(vector)
    margin = size * 0.1
    return Face(
        bbox=(margin, margin, size - margin, size - margin),
        score=1.0,
        kps=points,
        embedding=embedding,
    )


def _same_side(origin: str, shape: tuple[int, ...], size: int) -> None:
    if tuple(shape) != (size, size):
        raise ModelFileError(
            f"model {origin} returned a {shape[-1]}x{shape[0]} result for a {size}x{size} crop "
            "on a test run; it is not stored"
        )


def _finite(origin: str, what: str, value: Any) -> None:
    array = np.asarray(value, dtype=np.float64)
    if array.size and not np.isfinite(array).all():
        raise ModelFileError(
            f"model {origin} returned NaN or infinite values ({what}) on a test run; "
            "it is not stored"
        )


def test_run(kind: str, component: Any, origin: str) -> None:
    """Run ``component`` once through its interface on a synthetic input (module docstring).

    :raises ModelFileError: the run failed, broke the component's contract, or
        returned values that are not finite.
    """
    try:
        if kind == "swapper":
            size = int(component.crop_size)
            crop = _probe_image(size)
            face = _probe_face(
                size, str(component.template), getattr(component, "embedding_dim", 512)
            )
            output = component.swap(crop, face, component.prepare_source(crop, face))
            _finite(origin, "swapped crop", output.image)
            if output.image.shape[:2] != crop.shape[:2]:
                raise ModelFileError(
                    f"model {origin} returned a {output.image.shape[1]}x{output.image.shape[0]} "
                    f"crop for a {size}x{size} one on a test run; it is not stored"
                )
            if output.mask is not None:
                _finite(origin, "mask", output.mask)
        elif kind == "masker":
            crop = _probe_image(MASK_PROBE_SIZE)
            probe = MaskInput(crop, crop, None, None, erode=12.0, blur=5.0)
            for mask in component.masks([probe]):
                _finite(origin, "mask", mask)
                _same_side(origin, np.asarray(mask).shape[:2], MASK_PROBE_SIZE)
        elif kind == "enhancer":
            size = int(component.size)
            for restored in component.enhance([_probe_image(size)]):
                _same_side(origin, np.asarray(restored).shape[:2], size)
        elif kind in ("recognizer", "landmarker", "detector"):
            image = _probe_image(PROBE_SIZE)
            face = _probe_face(PROBE_SIZE, "arcface", None)
            if kind == "recognizer":
                _finite(origin, "embedding", component.embed(image, face))
            elif kind == "landmarker":
                _finite(origin, "landmarks", component.landmarks(image, face))
            else:
                for found in component.detect(image):
                    _finite(origin, "face box", found.bbox)
                    _finite(origin, "keypoints", found.kps)
    except FaceswapError:
        raise
    except Exception as exc:
        raise ModelFileError(
            f"model {origin} failed a test run: {type(exc).__name__}: {exc}; it is not stored"
        ) from None


def run_declared(session: InferenceSession, origin: str) -> None:
    """Run a model no component loads on random inputs of its declared shapes (symbolic: 1)."""
    rng = np.random.default_rng(3)
    feeds = {}
    for name in session.input_names:
        shape = [d if isinstance(d, int) and d > 0 else 1 for d in session.input_shapes[name]]
        kind = str(getattr(session, "input_types", {}).get(name, "tensor(float)"))
        if "float" in kind:
            feeds[name] = rng.random(shape, dtype=np.float32)
        elif "int" in kind:
            feeds[name] = np.zeros(shape, np.int64 if "int64" in kind else np.int32)
        else:
            return  # an input type this check cannot make up: loading was the check
    for name, value in session.run(feeds).items():
        if np.asarray(value).dtype.kind == "f":
            _finite(origin, f"output {name!r}", value)


def check_recognizer_served(swapper: Any, path: Path, plugins: FaceswapPlugins) -> None:
    """Refuse a swap model whose source embedding names a recognizer nobody provides."""
    name = getattr(swapper, "recognizer", None)
    if name is None:  # it embeds the source itself (a faceswap export with its recognizer)
        return
    available = [component.name for component in plugins.registry(RECOGNIZER)]
    if name not in available:
        raise ModelFileError(
            f"{path} cannot be served: it embeds sources with recognizer {name!r}, which is "
            f"not installed (available: {', '.join(available) or 'none'}), and carries no "
            "recognizer graph of its own; re-export it with faceswap export onnx, which "
            "writes the recognizer it was trained with beside it"
        )


__all__ = ["check_model_file", "check_recognizer_served", "consumers", "run_declared", "test_run"]
