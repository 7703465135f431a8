"""faceswap-hello's own tests, written with faceswap_core.testing's fixtures.

``faceswap_plugins``, ``register_plugin`` and ``faceswap_cli`` come from the
pytest plugin that faceswap-core installs; nothing needs to be imported for them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import faceswap_hello.hooks
import numpy as np
import pytest

from faceswap_core.errors import InvalidImageError
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.testing import build_component, isolated_plugins
from faceswap_core.tools.samples import load_sample


@pytest.fixture
def hog(faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str]) -> Any:
    register_plugin(faceswap_hello.hooks, name="faceswap-hello")
    return build_component("detector", {"type": "hog"}, manager=faceswap_plugins)


def test_detects_the_astronauts_face(hog: Any) -> None:
    image = load_sample("astronaut")
    (face,) = hog.detect(image)
    x1, y1, x2, y2 = face.bbox
    assert 0 <= x1 < x2 <= image.shape[1]
    assert 0 <= y1 < y2 <= image.shape[0]
    assert 0.5 < face.score < 1.0
    left_eye, right_eye, nose, left_mouth, right_mouth = face.kps
    assert left_eye[0] < nose[0] < right_eye[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(left_mouth[1], right_mouth[1])
    assert np.all((face.kps >= face.bbox[:2]) & (face.kps <= face.bbox[2:]))


def test_mirrored_image_gives_a_mirrored_box(hog: Any) -> None:
    image = load_sample("astronaut")
    (face,) = hog.detect(image)
    (mirrored,) = hog.detect(np.ascontiguousarray(image[:, ::-1]))
    width = image.shape[1]
    assert abs((width - mirrored.bbox[2]) - face.bbox[0]) < 0.1 * face.width
    assert abs(mirrored.bbox[1] - face.bbox[1]) < 0.1 * face.height


def test_group_photo_and_empty_image(hog: Any) -> None:
    assert len(hog.detect(load_sample("t1"))) == 6
    assert hog.detect(np.full((96, 96, 3), 127, dtype=np.uint8)) == []


def test_config_comes_from_yaml_style_params(
    faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str]
) -> None:
    register_plugin(faceswap_hello.hooks, name="faceswap-hello")
    one = build_component("detector", {"type": "hog", "max_faces": 1}, manager=faceswap_plugins)
    faces = one.detect(load_sample("t1"))
    assert len(faces) == 1
    with pytest.raises(ValueError, match="upsample"):
        build_component("detector", {"type": "hog", "upsample": 9}, manager=faceswap_plugins)


def test_rejects_images_that_are_not_rgb_uint8(hog: Any) -> None:
    with pytest.raises(InvalidImageError, match="float32"):
        hog.detect(np.zeros((32, 32, 3), dtype=np.float32))
    with pytest.raises(InvalidImageError, match=r"\(32, 32\)"):
        hog.detect(np.zeros((32, 32), dtype=np.uint8))


def test_installed_plugin_is_listed(faceswap_cli: Callable[..., Any]) -> None:
    """Only meaningful once installed (``pip install -e .``): the entry point is found."""
    manager = isolated_plugins(load=["faceswap-hello"])
    result = faceswap_cli("plugins", manager=manager)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["name"] == "faceswap-hello"
    assert row["entry_point"] == "hello = faceswap_hello.hooks"
    assert row["components"] == {"detector": ["hog"]}
