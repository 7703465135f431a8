"""The quality options (pixel boost, masks, enhancer) in REST, as on the command line and in Python.

They are declared once (``faceswap_core.operations.fields``), so a request takes
``mask``, ``areas``, ``enhancer``... as form fields and refuses a bad value with
the line the CLI prints and the error Python raises. A request names a model the
server knows (here a tiny restorer added to the server's store), never a path on
the server, and its enhancer runs on the server's loaded pipeline.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
import onnx
import pytest
from click.testing import CliRunner
from onnx import TensorProto, helper, numpy_helper
from PIL import Image as PILImage
from starlette.testclient import TestClient, WebSocketDenialResponse

import faceswap
from faceswap_core.cli.main import make_cli
from faceswap_core.errors import ConfigError
from faceswap_core.models.store import ModelStore, default_root
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_rest.app import create_app

from .conftest import settings_for, wait_ready

RESTORER = "test_restorer"
"""A restorer that returns one colour, added to the server's model store under this name."""

RESTORED = 0.2
"""What the restorer returns everywhere, in GFPGAN's [-1, 1]: uint8 153 once denormalised."""


def constant_restorer(path: Path, value: float = RESTORED, size: int = 512) -> Path:
    """GFPGAN's contract (NCHW RGB in [-1, 1] at 512, same out) returning ``value`` everywhere."""
    shape: list[int | str] = ["N", 3, size, size]
    graph = helper.make_graph(
        [
            helper.make_node("Mul", ["input", "zero"], ["zeros"]),
            helper.make_node("Add", ["zeros", "value"], ["output"]),
        ],
        "restorer",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, shape)],
        initializer=[
            numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
            numpy_helper.from_array(np.array(value, np.float32), "value"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A FACESWAP_HOME whose store holds the constant restorer (GFPGAN's contract)."""
    folder = tmp_path_factory.mktemp("quality-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACESWAP_HOME", str(folder / "home"))
        graph = constant_restorer(folder / "restorer.onnx")
        ModelStore(default_root()).add_own(RESTORER, graph, kind="enhancer", loader="gfpgan")
        yield folder


@pytest.fixture(scope="module")
def quality_client(home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(home, max_jobs=1, max_streams=1))) as client:
        wait_ready(client)
        yield client


def _files(faces: dict[str, bytes]) -> dict[str, tuple[str, bytes]]:
    return {"source": ("s.png", faces["source"]), "target": ("t.jpg", faces["target"])}


def _stage_ms(response: Any, stage: str) -> float:
    timings = dict(
        part.strip().split(";dur=") for part in response.headers["server-timing"].split(",")
    )
    return float(timings[stage])


def _decoded(data: bytes) -> np.ndarray:
    return np.asarray(PILImage.open(io.BytesIO(data)).convert("RGB"))


BAD = [
    # (CLI args, the same as Python keywords / REST fields, the message; {flag} per surface)
    (["--pixel-boost", "200"], {"pixel_boost": "200"},
     "pixel_boost: expected one of 256, 384, 512, got 200"),
    (["--enhance-blend", "nan"], {"enhance_blend": "nan"},
     "enhance_blend: must be a finite number, got nan"),
    (["--enhance-blend", "1.5"], {"enhance_blend": "1.5"},
     "enhance_blend: must be between 0.0 and 1.0, got 1.5"),
    (["--areas", "mouth,nose"], {"areas": "mouth,nose"},
     "areas[1]: expected one of upper-face, lower-face, mouth, got 'nose'"),
    (["--mask", "box", "--mask", "box"], {"mask": "box,box"}, "mask: lists 'box' twice"),
    (["--mask", "box", "--areas", "mouth"], {"mask": "box", "areas": "mouth"},
     "{areas} applies to the area mask; add area to {mask}"),
]  # fmt: skip


def _python_value(name: str, text: str) -> object:
    if name == "pixel_boost":
        return int(text)
    if name == "enhance_blend":
        return float(text)
    return text.split(",")


@pytest.mark.parametrize(("argv", "fields", "message"), BAD, ids=lambda v: str(v)[:24])
def test_a_bad_quality_option_is_the_same_line_on_every_surface(
    quality_client: TestClient,
    faces: dict[str, bytes],
    tmp_path: Path,
    argv: list[str],
    fields: dict[str, str],
    message: str,
) -> None:
    cli_line = message.replace("{areas}", "--areas").replace("{mask}", "--mask")
    plain = message.replace("{areas}", "areas").replace("{mask}", "mask")
    source, target = tmp_path / "s.png", tmp_path / "t.jpg"
    source.write_bytes(faces["source"])
    target.write_bytes(faces["target"])
    out = tmp_path / "o.png"
    printed = CliRunner().invoke(
        make_cli(FaceswapPlugins(strict=True)),
        ["swap", "-s", str(source), "-t", str(target), "-o", str(out), *argv],
    )
    assert printed.exit_code == 2
    assert printed.stderr.strip() == f"Error: {cli_line}"
    assert not out.exists()
    keywords = {name: _python_value(name, text) for name, text in fields.items()}
    with pytest.raises(ConfigError) as raised:
        faceswap.swap(target, source, **keywords)  # type: ignore[arg-type]
    assert str(raised.value) == plain
    with pytest.raises(ConfigError) as raised:
        faceswap.stream([], source, **keywords)  # type: ignore[arg-type]
    assert str(raised.value) == plain
    for route in ("/v1/swap", "/v1/jobs/video"):
        answered = quality_client.post(route, files=_files(faces), data=fields)
        assert answered.status_code == 422, (route, answered.text)
        assert answered.json()["error"]["message"] == plain
    assert _stream_refusal(quality_client, faces, fields) == plain


def _stream_refusal(client: TestClient, faces: dict[str, bytes], query: dict[str, str]) -> str:
    """The message of the 422 that refuses a ``/v1/stream`` with ``query`` before it opens."""
    encoded = urlencode({"source_id": _source_id(client, faces), **query})
    with (
        pytest.raises(WebSocketDenialResponse) as denied,
        client.websocket_connect(f"/v1/stream?{encoded}"),
    ):
        pass
    assert denied.value.status_code == 422
    return str(json.loads(denied.value.content)["error"]["message"])


def _source_id(client: TestClient, faces: dict[str, bytes]) -> str:
    registered = client.post("/v1/sources", files={"source": ("s.png", faces["source"])})
    assert registered.status_code == 201, registered.text
    return str(registered.json()["source_id"])


def _streamed(client: TestClient, query: str, frames: list[bytes]) -> list[np.ndarray]:
    """The frames a ``/v1/stream`` connection sends back, one frame at a time (none dropped)."""
    out = []
    with client.websocket_connect(f"/v1/stream?{query}") as ws:
        for frame in frames:
            ws.send_bytes(frame)
            header = ws.receive_json()
            assert header["type"] == "frame", header
            out.append(_decoded(ws.receive_bytes()))
    return out


def _assert_restored_under_the_swap(
    restored: np.ndarray, swapped: np.ndarray, target: np.ndarray
) -> None:
    """Outside the swap's reach the target is untouched; at the face centre the restorer's colour.

    "Reach" is where the swap changed a pixel, plus a margin: at the far edge of the soft mask
    a tiny weight can round a swapped pixel back to the target's value, and the enhancer's
    colour to another one.
    """
    reached = np.any(swapped != target, axis=2)
    ys, xs = np.nonzero(reached)
    margin = 8
    outside = np.ones(reached.shape, bool)
    outside[
        max(ys.min() - margin, 0) : ys.max() + margin + 1,
        max(xs.min() - margin, 0) : xs.max() + margin + 1,
    ] = False
    assert np.array_equal(restored[outside], target[outside])
    centre = restored[(ys.min() + ys.max()) // 2, (xs.min() + xs.max()) // 2]
    assert np.abs(centre.astype(int) - round((RESTORED + 1) / 2 * 255)).max() <= 1
    assert np.abs(restored.astype(int) - swapped).max() > 50


def test_an_enhancer_named_in_a_request_restores_the_swapped_face_only(
    quality_client: TestClient, faces: dict[str, bytes], home: Path
) -> None:
    target = _decoded(faces["target"])
    plain = quality_client.post("/v1/swap", files=_files(faces), data={"format": "png"})
    enhanced = quality_client.post(
        "/v1/swap",
        files=_files(faces),
        data={"format": "png", "enhancer": RESTORER, "enhance_blend": "1"},
    )
    assert plain.status_code == enhanced.status_code == 200, enhanced.text
    assert _stage_ms(enhanced, "enhance") > 0.0 == _stage_ms(plain, "enhance")
    swapped, restored = _decoded(plain.content), _decoded(enhanced.content)
    _assert_restored_under_the_swap(restored, swapped, target)
    # And it is the Python API's result for the same options, pixel for pixel.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACESWAP_HOME", str(home / "home"))
        expected = faceswap.swap(target, faces["source"], enhancer=RESTORER, enhance_blend=1.0)
    assert np.array_equal(restored, expected)


def test_an_enhancer_on_a_stream_restores_each_swapped_face(
    quality_client: TestClient, faces: dict[str, bytes], home: Path
) -> None:
    """``WS /v1/stream`` and ``faceswap.stream`` take the enhancer as ``POST /v1/swap`` does,
    on the stream's own pipeline, and give the same frames."""
    target = _decoded(faces["target"])
    frames = [faces["target"]] * 3
    source_id = _source_id(quality_client, faces)
    plain = _streamed(quality_client, f"source_id={source_id}&format=png", frames)
    query = f"source_id={source_id}&format=png&enhancer={RESTORER}&enhance_blend=1"
    enhanced = _streamed(quality_client, query, frames)
    for swapped, restored in zip(plain, enhanced, strict=True):
        _assert_restored_under_the_swap(restored, swapped, target)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACESWAP_HOME", str(home / "home"))
        streamed = faceswap.stream(
            [target] * 3, faces["source"], enhancer=RESTORER, enhance_blend=1.0
        )
        python = [frame.image for frame in streamed]
    assert len(python) == 3
    for index, (ours, served) in enumerate(zip(python, enhanced, strict=True)):
        np.testing.assert_array_equal(ours, served, err_msg=f"frame {index}")


@pytest.mark.parametrize("field", ["enhancer", "occluder", "parser"])
def test_a_request_names_models_never_paths_on_the_server(
    quality_client: TestClient, faces: dict[str, bytes], home: Path, field: str
) -> None:
    path = str(home / "restorer.onnx")  # a real file on the server
    answered = quality_client.post("/v1/swap", files=_files(faces), data={field: path})
    assert answered.status_code == 422
    message = answered.json()["error"]["message"]
    assert message.startswith(f"{field}: ")
    assert "is not a model this server knows" in message
    assert _stream_refusal(quality_client, faces, {field: path}) == message
