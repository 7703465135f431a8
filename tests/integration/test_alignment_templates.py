"""A plugin brings its own alignment template, and a swapper that names it swaps with it.

The in-test plugin registers ``test-wide`` (a crop that shows more around the
face than ArcFace's) and a ``marker`` swapper trained, say, on that layout. The
swapper records where the face's keypoints land in the crop it is given, and
paints a green square on the nose. Independent truths: the keypoints in the
crop lie on the template's points (not on ArcFace's), and the square comes
back in the frame on the nose the detector found, so the pipeline cut with the
plugin's template and pasted back through its inverse, with no core edit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from faceswap_core import SwapOutput, hookimpl
from faceswap_core.config.schema import PasteConfig, PipelineConfig
from faceswap_core.errors import ComponentClashError
from faceswap_core.interfaces.face import Face, FloatArray, Image
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.vision import align

SIZE = 96
GREEN = np.array([0, 255, 0], np.uint8)


def wide_points(size: int) -> FloatArray:
    """ArcFace's layout shrunk to 60 % around the centre: more hair, chin and background."""
    return ((align.arcface_points(size) - size / 2) * 0.6 + size / 2).astype(np.float32)


WIDE = align.PointTemplate(wide_points)


def similarity_image(src: FloatArray, dst: FloatArray) -> FloatArray:
    """``src`` moved by the least-squares similarity that takes it onto ``dst``.

    Solves ``x' = a x - b y + tx, y' = b x + a y + ty`` for the four unknowns.
    """
    rows, values = [], []
    for (x, y), (u, v) in zip(
        np.asarray(src, np.float64), np.asarray(dst, np.float64), strict=True
    ):
        rows += [[x, -y, 1, 0], [y, x, 0, 1]]
        values += [u, v]
    a, b, tx, ty = np.linalg.lstsq(np.array(rows), np.array(values), rcond=None)[0]
    matrix = np.array([[a, -b, tx], [b, a, ty]])
    points = np.asarray(src, np.float64)
    return (points @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)


class MarkerSwapper:
    """Swaps nothing: paints the nose it is shown, and remembers the keypoints it saw."""

    crop_size = SIZE
    template = "test-wide"
    recognizer = None
    needs_landmarks = False

    def __init__(self) -> None:
        self.seen: list[FloatArray] = []

    def prepare_source(self, crop: Image, face: Face) -> None:
        return None

    def swap(self, crop: Image, face: Face, source: Any) -> SwapOutput:
        self.seen.append(np.asarray(face.kps, np.float32))
        painted = crop.copy()
        x, y = (round(v) for v in face.kps[2])
        painted[y - 3 : y + 4, x - 3 : x + 4] = GREEN
        return SwapOutput(painted)


class WideTemplatePlugin:
    def __init__(self) -> None:
        self.swapper = MarkerSwapper()

    @hookimpl
    def register_alignment_templates(self, register: Any) -> None:
        register("test-wide", lambda config, context: WIDE)

    @hookimpl
    def register_swappers(self, register: Any) -> None:
        register("marker", lambda config, context: self.swapper)


def test_a_plugin_template_is_used_to_cut_and_paste(astronaut_image: Image) -> None:
    plugins = FaceswapPlugins(strict=True)
    plugin = WideTemplatePlugin()
    plugins.register(plugin, name="wide-template")
    assert plugins.alignment_templates().get("test-wide").plugin == "wide-template"
    config = PipelineConfig(
        swapper={"type": "marker"}, paste=PasteConfig(mask="box", erode=0, blur=0)
    )
    pipeline = Pipeline(config, plugins)
    result = pipeline.swap(astronaut_image, astronaut_image)
    assert len(result.swapped) == 1
    (seen,) = plugin.swapper.seen
    face = result.faces[result.swapped[0]]
    # the crop is the least-squares similarity of the detected keypoints onto the plugin's
    # points, solved here with numpy alone; ArcFace's layout would put them elsewhere
    expected = similarity_image(face.kps, wide_points(SIZE))
    np.testing.assert_allclose(seen, expected, atol=0.01)
    assert np.abs(seen - similarity_image(face.kps, align.arcface_points(SIZE))).max() > 8.0
    # the painted nose comes back on the nose the detector found in the frame
    x, y = (round(v) for v in face.kps[2])
    assert np.array_equal(result.image[y, x], GREEN)
    assert not np.array_equal(astronaut_image[y, x], GREEN)
    far = result.image[: y // 3, : x // 3]
    assert np.array_equal(far, astronaut_image[: y // 3, : x // 3])  # nothing else moved


def test_templates_are_listed_with_core_s_own_and_names_stay_unique() -> None:
    plugins = FaceswapPlugins(strict=True)
    core = plugins.alignment_templates()
    assert {c.name: c.plugin for c in core} == {
        "arcface": "faceswap-core",
        "inswapper": "faceswap-core",
        "classic": "faceswap-core",
        "ffhq": "faceswap-core",
        "native": "faceswap-core",
    }
    plugins.register(WideTemplatePlugin(), name="wide-template")
    assert align.fixed_templates(plugins) == (
        "arcface",
        "classic",
        "ffhq",
        "inswapper",
        "test-wide",
    )
    np.testing.assert_array_equal(align.template(SIZE, "test-wide", plugins), wide_points(SIZE))

    class Impostor:
        @hookimpl
        def register_alignment_templates(self, register: Any) -> None:
            register("arcface", lambda config, context: WIDE)

    plugins.register(Impostor(), name="impostor")
    with pytest.raises(ComponentClashError, match=r"faceswap-core.*impostor"):
        plugins.alignment_templates()
