"""The plugin is installed, registers its components, and keeps its hooks module light."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from faceswap_core import Detector, Landmarker, Recognizer
from faceswap_core.errors import ConfigError
from faceswap_core.pipeline.context import build_context
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_retinaface.configs import RetinaFaceConfig

PLUGIN = "faceswap-retinaface"
EXPECTED = {
    "detector": {"retinaface", "insightface"},
    "recognizer": {"dlib", "arcface"},
    "landmarker": {"dlib68", "dlib5"},
}


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


def test_plugin_is_installed_and_lists_its_components(plugins: FaceswapPlugins) -> None:
    assert PLUGIN in plugins.records
    assert plugins.records[PLUGIN].error is None
    for kind, names in EXPECTED.items():
        ours = {c.name for c in plugins.registry(kind) if c.plugin == PLUGIN}
        assert ours == names, kind


def test_components_build_from_config_and_satisfy_protocols(plugins: FaceswapPlugins) -> None:
    detector = plugins.build(
        "detector",
        {"type": "retinaface", "det_size": 320, "max_faces": 2},
        context=build_context(plugins),
    )
    assert isinstance(detector, Detector)
    assert detector.config == RetinaFaceConfig(det_size=320, max_faces=2)
    assert isinstance(
        plugins.build("recognizer", "dlib", context=build_context(plugins)), Recognizer
    )
    for name, points in (("dlib68", 68), ("dlib5", 5)):
        landmarker = plugins.build("landmarker", name, context=build_context(plugins))
        assert isinstance(landmarker, Landmarker)
        assert landmarker.num_points == points
        assert landmarker.model_info.file.endswith(f"shape_predictor_{points}_face_landmarks.dat")


def test_config_typo_names_the_key(plugins: FaceswapPlugins) -> None:
    with pytest.raises(ConfigError, match=r"\$\.detector\.scor_threshold: unknown key"):
        plugins.build(
            "detector",
            {"type": "retinaface", "scor_threshold": 0.5},
            context=build_context(plugins),
        )


@pytest.mark.parametrize("bad", [{"det_size": 100}, {"score_threshold": 1.5}, {"max_faces": -1}])
def test_config_rejects_out_of_range_values(
    plugins: FaceswapPlugins, bad: dict[str, object]
) -> None:
    with pytest.raises(ConfigError, match=next(iter(bad))):
        plugins.build("detector", {"type": "retinaface", **bad}, context=build_context(plugins))


def test_hooks_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, json; import faceswap_retinaface.hooks; "
        "print(json.dumps(sorted(m for m in ('cv2', 'onnxruntime', 'dlib', 'insightface', "
        "'onnx', 'retinaface') if m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == []
