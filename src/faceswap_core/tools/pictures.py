"""Pictures for the docs, made by the pipeline on the sample faces.

``python -m faceswap_core.tools.pictures docs/images/classic.png`` writes the
README's picture of the embedded ``classic`` swapper: for ``faceswap demo``'s
pair and for ``tom_hanks -> astronaut``, the source face, the target face and
the swapped face, each cut around its face at the same framing and shown at
the same size, so the detail the swap keeps can be compared by eye.

Two more for docs/quality.md (``... pictures OUT.png pixel_boost`` / ``masks``):

- ``pixel_boost``: a face larger than a 128 px model's crop (the astronaut at
  twice its size), through a stand-in 128 px "model" that returns its input,
  without and with pixel boost 512: what the model's resolution alone costs,
  and what pixel boost gives back. The script prints each face's sharpness.
- ``masks``: the paste masks that need no model file (``box``, ``hull`` and
  the three ``area`` masks) on the astronaut's aligned crop, as the
  pipeline's maskers make them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from faceswap_core.errors import FaceswapError, NoFaceError
from faceswap_core.interfaces.face import Image
from faceswap_core.io.encode import write_image
from faceswap_core.io.provenance import SOFTWARE_NAME, read_provenance
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.tools.samples import demo_pair, load_sample
from faceswap_core.vision.crop import grown_box
from faceswap_core.vision.selection import largest

PANEL = 160
"""Side of each face panel in pixels."""

FRAMING = 0.1
"""Context around each face box in a panel, times the box's size on each side."""

GAP = 4
"""White pixels between panels and rows."""


def face_panel(image: Image, pipeline: Pipeline, size: int = PANEL) -> Image:
    """The largest face of ``image`` with :data:`FRAMING` around it, resized to ``size`` square."""
    face = largest(pipeline.detect(image))
    if face is None:
        raise NoFaceError("no face found for a picture panel")
    left, top, right, bottom = grown_box(face, FRAMING, image.shape)
    side = max(right - left, bottom - top)
    cx, cy = (left + right) // 2, (top + bottom) // 2
    x0 = int(np.clip(cx - side // 2, 0, max(image.shape[1] - side, 0)))
    y0 = int(np.clip(cy - side // 2, 0, max(image.shape[0] - side, 0)))
    crop = image[y0 : y0 + side, x0 : x0 + side]
    shrink = crop.shape[0] > size
    interpolation = cv2.INTER_AREA if shrink else cv2.INTER_LANCZOS4
    return np.asarray(cv2.resize(crop, (size, size), interpolation=interpolation), np.uint8)


def swap_row(pipeline: Pipeline, source: Image, target: Image) -> Image:
    """Source face | target face | swapped face, side by side."""
    result = pipeline.swap(target, source, faces="largest").image
    panels = [face_panel(image, pipeline) for image in (source, target, result)]
    gap = np.full((PANEL, GAP, 3), 255, np.uint8)
    return np.hstack([panels[0], gap, panels[1], gap, panels[2]])


def classic_picture(pipeline: Pipeline | None = None) -> Image:
    """The README's picture: the demo pair, then ``tom_hanks -> astronaut``."""
    pipeline = pipeline if pipeline is not None else Pipeline()
    rows = [
        swap_row(pipeline, *demo_pair(pipeline)),
        swap_row(pipeline, load_sample("tom_hanks"), load_sample("astronaut")),
    ]
    gap = np.full((GAP, rows[0].shape[1], 3), 255, np.uint8)
    return np.ascontiguousarray(np.vstack([rows[0], gap, rows[1]]))


BOOST_PANEL = 256
"""Side of each panel of the pixel boost picture (its face is about 190 px wide)."""


def identity_model(path: Path, *, size: int = 128, dim: int = 128, batch: int | str = "N") -> Path:
    """A stand-in swap model (the ``onnx`` export contract, 128 px) whose output is its input.

    ``batch`` is the graph's first dimension: symbolic (``"N"``, one run for every
    pixel-boost sub-crop) or fixed (1, as inswapper_128).
    """
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["target"], ["output"])],
        "identity_swapper",
        [
            helper.make_tensor_value_info("target", TensorProto.FLOAT, [batch, 3, size, size]),
            helper.make_tensor_value_info("source", TensorProto.FLOAT, [batch, dim]),
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [batch, 3, size, size])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(
        model,
        {
            "faceswap.crop_size": str(size),
            "faceswap.template": "inswapper",
            "faceswap.recognizer": "dlib",
            "faceswap.embedding_dim": str(dim),
        },
    )
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def pixel_boost_picture() -> tuple[Image, dict[str, float]]:
    """Target | 128 px model | 128 px model with pixel boost 512, and each face's sharpness."""
    import tempfile

    import attrs

    from faceswap_core.config.schema import PipelineConfig
    from faceswap_core.eval.sharpness import face_sharpness

    big = load_sample("astronaut")
    big = np.asarray(cv2.resize(big, None, fx=2, fy=2, interpolation=cv2.INTER_LANCZOS4), np.uint8)
    source = load_sample("tom_hanks")
    with tempfile.TemporaryDirectory(prefix="faceswap-pictures-") as folder:
        model = identity_model(Path(folder) / "identity.onnx")
        base = PipelineConfig(swapper={"type": "onnx", "model": str(model)})
        plain = Pipeline(base).swap(big, source, faces="largest").image
        boosted_pipeline = Pipeline(attrs.evolve(base, pixel_boost=512))
        boosted = boosted_pipeline.swap(big, source, faces="largest").image
        face = largest(boosted_pipeline.detect(big))
        if face is None:
            raise NoFaceError("no face found for the pixel boost picture")
        landmarks = boosted_pipeline.landmarker.landmarks(big, face)
    images = {"target": big, "model 128 px": plain, "pixel boost 512": boosted}
    sharpness = {name: face_sharpness(image, landmarks) for name, image in images.items()}
    panels = [face_panel(image, boosted_pipeline, BOOST_PANEL) for image in images.values()]
    gap = np.full((BOOST_PANEL, GAP, 3), 255, np.uint8)
    picture = np.hstack([panels[0], gap, panels[1], gap, panels[2]])
    return np.ascontiguousarray(picture), sharpness


MASK_CROP = 192
"""Side of the aligned crop each mask is shown on."""

MASKS_SHOWN: tuple[tuple[str, dict[str, object]], ...] = (
    ("box", {"type": "box"}),
    ("hull", {"type": "hull"}),
    ("upper-face", {"type": "area", "areas": ["upper-face"]}),
    ("lower-face", {"type": "area", "areas": ["lower-face"]}),
    ("mouth", {"type": "area", "areas": ["mouth"]}),
)


def masks_picture(pipeline: Pipeline | None = None) -> Image:
    """The astronaut's aligned crop under each mask that needs no model (darkened where 0)."""
    from faceswap_core.config.schema import PasteConfig
    from faceswap_core.interfaces import MaskInput
    from faceswap_core.plugin.kinds import MASKER
    from faceswap_core.vision.align import align

    pipeline = pipeline if pipeline is not None else Pipeline()
    target = load_sample("astronaut")
    face = largest(pipeline.detect(target))
    if face is None:
        raise NoFaceError("no face found for the masks picture")
    face = face.evolve(landmarks=pipeline.landmarker.landmarks(target, face))
    aligned = align(target, face, MASK_CROP, "inswapper")
    paste, scale = PasteConfig(), MASK_CROP / 128.0
    inputs = [
        MaskInput(
            aligned.crop,
            aligned.crop,
            aligned.face.landmarks,
            None,
            erode=paste.erode * scale,
            blur=paste.blur * scale,
        )
    ]
    panels = []
    for _, ref in MASKS_SHOWN:
        masker = pipeline.plugins.build(MASKER, ref, context=pipeline.context)
        (mask,) = masker.masks(inputs)
        shade = 0.25 + 0.75 * np.asarray(mask, np.float32)[..., None]
        panels.append(np.clip(aligned.crop * shade + 0.5, 0, 255).astype(np.uint8))
    gap = np.full((MASK_CROP, GAP, 3), 255, np.uint8)
    row = [panels[0]]
    for panel in panels[1:]:
        row += [gap, panel]
    return np.ascontiguousarray(np.hstack(row))


PICTURES: tuple[str, ...] = ("classic", "pixel_boost", "masks")
"""The pictures ``main`` makes (its optional second argument)."""


def _ours(path: Path) -> bool:
    """Whether ``path`` is an image faceswap wrote (its provenance says so)."""
    try:
        record = read_provenance(path)
    except FaceswapError:
        return False
    return record is not None and (record.software or "").startswith(SOFTWARE_NAME)


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2 or (len(argv) == 2 and argv[1] not in PICTURES):
        print(
            f"usage: python -m faceswap_core.tools.pictures OUT.png [{'|'.join(PICTURES)}]",
            file=sys.stderr,
        )
        return 2
    out = Path(argv[0])
    which = argv[1] if len(argv) == 2 else "classic"
    if out.exists() and not _ours(out):
        print(
            f"Error: {out} exists and was not written by faceswap; choose another path",
            file=sys.stderr,
        )
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    if which == "pixel_boost":
        picture, sharpness = pixel_boost_picture()
        model = "onnx"
        for name, value in sharpness.items():
            print(f"sharpness of the face ({name}): {value:.0f}")
    elif which == "masks":
        picture, model = masks_picture(), "classic"
    else:
        picture, model = classic_picture(Pipeline()), "classic"
    written = write_image(out, picture, model=model)
    print(f"wrote {written} ({written.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":  # pragma: no cover - python -m faceswap_core.tools.pictures OUT
    sys.exit(main(sys.argv[1:]))
