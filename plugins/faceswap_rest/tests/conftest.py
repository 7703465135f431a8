"""Shared fixtures: real sample faces as upload bytes, apps on real models, a test video.

Apps are built with :func:`faceswap_rest.app.create_app` on the installed plugins
(faceswap-retinaface's detector, dlib's landmarks, the classic swapper) and
driven with starlette's TestClient, which runs the app's startup (model
loading) and shutdown. Images are encoded here with PIL and videos with PyAV,
not with the code under test.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import av
import cv2
import numpy as np
import pytest
from PIL import Image as PILImage
from starlette.testclient import TestClient

from faceswap_core.tools.samples import load_sample, sample_path
from faceswap_rest.app import create_app
from faceswap_rest.config import ServeConfig, ServeLimits, Settings

READY_TIMEOUT_S = 60.0


def image_bytes(image: np.ndarray, fmt: str = "JPEG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    PILImage.fromarray(image).save(buffer, fmt, **options)
    return buffer.getvalue()


def wait_ready(client: TestClient, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        response = client.get("/readyz", headers=headers or {})
        if response.status_code == 200:
            return
        time.sleep(0.05)
    raise AssertionError(f"service not ready after {READY_TIMEOUT_S} s: {response.text}")


def settings_for(tmp: Path, **serve: Any) -> Settings:
    limits = serve.pop("limits", None) or ServeLimits()
    base = {"threads": 1, "max_streams": 0, "max_jobs": 0, "access_log": True}
    base.update(serve)
    base.setdefault("jobs_dir", str(tmp / "jobs"))
    base.setdefault("reports_dir", str(tmp / "work_dirs"))
    return Settings(ServeConfig(**base, limits=limits))


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Any]:
    """``make_client(**serve_options)``: a started, ready TestClient on its own app."""
    clients: list[TestClient] = []

    def make(*, headers: dict[str, str] | None = None, **serve: Any) -> TestClient:
        client = TestClient(create_app(settings_for(tmp_path, **serve)))
        client.__enter__()
        clients.append(client)
        wait_ready(client, headers)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def faces() -> dict[str, bytes]:
    """Upload bytes of real faces: a PNG portrait, the astronaut as JPEG, a small astronaut."""
    astronaut = load_sample("astronaut")
    small = cv2.resize(astronaut, (192, 192), interpolation=cv2.INTER_AREA)
    return {
        "source": sample_path("tom_hanks").read_bytes(),
        "target": image_bytes(astronaut, "JPEG", quality=92),
        "small": image_bytes(small, "JPEG", quality=90),
        "noface": image_bytes(np.full((96, 128, 3), 200, dtype=np.uint8), "PNG"),
        "gif": image_bytes(small, "GIF"),
    }


@pytest.fixture(scope="session")
def service_dirs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("service")


@pytest.fixture(scope="session")
def client(service_dirs: Path) -> Iterator[TestClient]:
    """The shared app: one swap thread, one stream, one video job; no token."""
    settings = settings_for(service_dirs, max_streams=1, max_jobs=1)
    settings = attrs.evolve(
        settings, serve=attrs.evolve(settings.serve, limits=ServeLimits(source_cache_size=2))
    )
    with TestClient(create_app(settings)) as test_client:
        wait_ready(test_client)
        yield test_client


def write_clip(path: Path, frames: int = 12, size: int = 224, fps: int = 10) -> Path:
    """An H.264 MP4 panning slowly over the astronaut's face, encoded with PyAV directly."""
    photo = load_sample("astronaut")[0:300, 100:400]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for index in range(frames):
            shift = index * 2
            crop = photo[shift : shift + 280, shift : shift + 280]
            frame = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("clip") / "clip.mp4")


def decoded_frames(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


class OpenApiChecker:
    """Validates responses against the app's own ``/openapi.json`` (JSON Schema 2020-12)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.seen: set[tuple[str, str, str]] = set()

    def operation(self, template: str, method: str) -> dict[str, Any]:
        return self.document["paths"][template][method.lower()]  # type: ignore[no-any-return]

    def check(self, response: Any, template: str, method: str) -> None:
        from jsonschema import Draft202012Validator

        status = str(response.status_code)
        responses = self.operation(template, method)["responses"]
        assert status in responses, f"{method} {template} answered {status}, not documented"
        self.seen.add((template, method.lower(), status))
        content = responses[status].get("content")
        if not content:
            return
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if "application/json" in content:
            assert media == "application/json", f"{template}: expected JSON, got {media}"
            schema = {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "components": self.document["components"],
                "allOf": [content["application/json"]["schema"]],
            }
            Draft202012Validator(schema).validate(response.json())
        else:
            accepted = [key for key in content if key == media or key.endswith("/*")]
            assert accepted, f"{template}: {media} is not one of {sorted(content)}"
        for name in responses[status].get("headers", {}):
            assert name.lower() in response.headers, f"{template}: header {name} missing"


@pytest.fixture(scope="session")
def openapi(client: TestClient) -> OpenApiChecker:
    return OpenApiChecker(client.get("/openapi.json").json())
