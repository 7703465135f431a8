"""Components get their sessions from the pipeline's runtime and their files from its store.

A runtime plugin registered in the test wraps core's ONNX Runtime and records
every model it loads; a pipeline configured with ``runtime: recording`` must
route the RetinaFace detector and the ``onnx`` swapper through it, which is
what lets ``faceswap-trt`` serve every model of a deployment.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np
import pytest
from tests.integration.conftest import build_faceswap_export

from faceswap_core import BuildContext, InferenceSession, Register, Runtime, hookimpl
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import ModelFileError
from faceswap_core.models.store import ModelStore
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.runtime.config import OnnxRuntimeConfig
from faceswap_core.runtime.onnxruntime import OnnxRuntime


@attrs.frozen
class RecordingConfig:
    threads: int = 1


class RecordingRuntime:
    """Core's ONNX Runtime, plus a list of what it was asked to load."""

    name = "recording"

    def __init__(self, config: RecordingConfig) -> None:
        self.inner = OnnxRuntime(OnnxRuntimeConfig(threads=config.threads))
        self.loaded: list[str] = []

    def load(self, model: Path | bytes) -> InferenceSession:
        self.loaded.append(str(model) if isinstance(model, Path) else f"<{len(model)} bytes>")
        return self.inner.load(model)


class RecordingPlugin:
    built: list[RecordingRuntime]

    def __init__(self) -> None:
        self.built = []

    @hookimpl
    def register_runtimes(self, register: Register[Runtime]) -> None:
        register("recording", self._build, config=RecordingConfig)

    def _build(self, config: RecordingConfig, context: BuildContext) -> Runtime:
        runtime = RecordingRuntime(config)
        self.built.append(runtime)
        return runtime


@pytest.fixture
def recording() -> tuple[FaceswapPlugins, RecordingPlugin]:
    plugins = FaceswapPlugins(strict=True)
    plugin = RecordingPlugin()
    plugins.register(plugin, name="recording-plugin")
    return plugins, plugin


def test_pipeline_runtime_loads_the_detector_and_the_swapper(
    recording: tuple[FaceswapPlugins, RecordingPlugin],
    tmp_path: Path,
    t1_image: np.ndarray,
    astronaut_image: np.ndarray,
) -> None:
    plugins, plugin = recording
    export, _ = build_faceswap_export(tmp_path / "export.onnx")
    config = PipelineConfig(
        swapper={"type": "onnx", "model": str(export)},
        runtime={"type": "recording", "threads": 2},
    )
    pipeline = Pipeline(config, plugins)
    result = pipeline.swap(astronaut_image, t1_image)
    assert len(result.swapped) == 1
    (runtime,) = plugin.built  # one runtime, shared by every component
    assert runtime.inner.config.threads == 2
    assert runtime.loaded[0].endswith(" bytes>")  # RetinaFace, from the package's bytes
    assert str(export) in runtime.loaded  # the onnx swapper's graph
    assert len(runtime.loaded) == 2


def test_a_swapper_may_name_its_own_runtime(
    recording: tuple[FaceswapPlugins, RecordingPlugin], tmp_path: Path
) -> None:
    plugins, plugin = recording
    export, _ = build_faceswap_export(tmp_path / "export.onnx")
    config = PipelineConfig(swapper={"type": "onnx", "model": str(export), "runtime": "recording"})
    pipeline = Pipeline(config, plugins)
    assert pipeline.swapper.crop_size == 112
    (runtime,) = plugin.built
    assert runtime.loaded == [str(export)]


def test_the_model_store_of_the_context_resolves_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A catalog name goes through the pipeline's store, which says where the file belongs."""
    store = ModelStore(tmp_path / "store")
    pipeline = Pipeline(PipelineConfig(swapper={"type": "inswapper"}), models=store)
    with pytest.raises(ModelFileError) as caught:
        _ = pipeline.swapper
    message = str(caught.value)
    assert str(tmp_path / "store" / "inswapper_128.onnx") in message
    assert "faceswap models add inswapper_128 PATH" in message


def test_unknown_runtime_in_the_pipeline_config_is_a_config_error(
    recording: tuple[FaceswapPlugins, RecordingPlugin],
) -> None:
    plugins, _ = recording
    # tensorrt is faceswap-trt's runtime, installed in the test environment.
    with pytest.raises(KeyError) as caught:  # when the pipeline is made, before any model loads
        Pipeline(PipelineConfig(runtime={"type": "openvino-native"}), plugins)
    assert str(caught.value).startswith(
        "unknown runtime 'openvino-native'. Available: onnxruntime, recording, tensorrt."
    )
