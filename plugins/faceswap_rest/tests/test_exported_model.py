"""The service serves an ``onnx`` export with the recognizer it was trained with.

The export is built without torch by :func:`faceswap_core.testing.write_onnx_export`
in the layout ``faceswap export onnx`` writes (the swapper, its recognizer
graph and probe faces); probe faces are real faces the installed detector
finds in the sample images. The end-to-end chain (``nox -s chain``) serves a
real U-Net export through ``faceswap serve`` and uvicorn.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
from PIL import Image as PILImage
from starlette.testclient import TestClient

from faceswap_core.config.schema import PipelineConfig
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.testing import sample_probe_faces, write_onnx_export
from faceswap_rest.app import create_app

from .conftest import settings_for, wait_ready


@pytest.fixture(scope="module")
def probe_faces() -> list[tuple[np.ndarray, Any]]:
    return sample_probe_faces(2)


def serve(tmp_path: Path, swapper: dict[str, Any]) -> TestClient:
    settings = settings_for(tmp_path)
    settings = attrs.evolve(settings, pipeline=PipelineConfig(swapper=swapper))
    client = TestClient(create_app(settings))
    client.__enter__()
    return client


def test_the_service_swaps_with_the_export_like_the_python_pipeline(
    tmp_path: Path, probe_faces: list[tuple[np.ndarray, Any]], faces: dict[str, bytes]
) -> None:
    export = write_onnx_export(tmp_path / "m.onnx", probe_faces)
    swapper = {"type": "onnx", "model": str(export)}
    client = serve(tmp_path, swapper)
    try:
        wait_ready(client)
        response = client.post(
            "/v1/swap",
            files={"source": ("s.png", faces["source"]), "target": ("t.jpg", faces["target"])},
            data={"format": "png"},
        )
    finally:
        client.__exit__(None, None, None)
    assert response.status_code == 200, response.text
    assert response.headers["x-faces-swapped"] == "1"
    got = np.asarray(PILImage.open(io.BytesIO(response.content)).convert("RGB"))
    target = np.asarray(PILImage.open(io.BytesIO(faces["target"])).convert("RGB"))
    source = np.asarray(PILImage.open(io.BytesIO(faces["source"])).convert("RGB"))
    pipeline = Pipeline(PipelineConfig(swapper=swapper), FaceswapPlugins(strict=True))
    expected = pipeline.swap(target, source).image
    assert np.array_equal(got, expected)  # the export's own recognizer, as in Python
    assert np.abs(got.astype(int) - target).max() > 20


def test_a_mismatched_recognizer_keeps_the_service_unready_with_the_reason(
    tmp_path: Path, probe_faces: list[tuple[np.ndarray, Any]]
) -> None:
    export = write_onnx_export(tmp_path / "m.onnx", probe_faces, dim=128)
    client = serve(tmp_path, {"type": "onnx", "model": str(export), "recognizer": "dlib"})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            response = client.get("/readyz")
            if "gives other embeddings" in response.text:
                break
            time.sleep(0.05)
    finally:
        client.__exit__(None, None, None)
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "model_unavailable"
    assert "recognizer 'dlib' gives other embeddings of its probe faces" in error["message"]
    assert "remove pipeline.swapper.recognizer" in error["message"]
