"""WS /v1/stream: frames in order, newest-frame backpressure told per frame, errors per frame."""

from __future__ import annotations

import io
import json

import cv2
import numpy as np
import pytest
from PIL import Image as PILImage
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from faceswap_core.tools.samples import load_sample

from .conftest import image_bytes


@pytest.fixture(scope="module")
def frames() -> list[bytes]:
    """JPEG frames of the astronaut drifting right by 2 px a frame."""
    photo = load_sample("astronaut")[0:320, 80:400]
    out = []
    for index in range(30):
        shifted = np.roll(photo, 2 * index, axis=1)
        out.append(image_bytes(cv2.resize(shifted, (256, 256)), "JPEG", quality=90))
    return out


@pytest.fixture(scope="module")
def source_id(client, faces) -> str:
    return client.post("/v1/sources", files={"source": ("s.png", faces["source"])}).json()[
        "source_id"
    ]


def test_frames_come_back_swapped_in_order(client, frames, source_id) -> None:
    with client.websocket_connect(f"/v1/stream?source_id={source_id}&format=png") as ws:
        headers = []
        for seq, frame in enumerate(frames[:4], start=1):
            ws.send_bytes(frame)
            header = ws.receive_json()
            image = np.asarray(PILImage.open(io.BytesIO(ws.receive_bytes())).convert("RGB"))
            headers.append(header)
            assert header["type"] == "frame"
            assert header["seq"] == seq
            assert header["dropped"] == 0
            assert header["faces"] == 1
            assert header["swapped"] == 1
            original = np.asarray(PILImage.open(io.BytesIO(frame)).convert("RGB"))
            assert image.shape == original.shape
            assert np.abs(image.astype(int) - original).max() > 50  # the face changed
    assert [h["index"] for h in headers] == [0, 1, 2, 3]
    assert headers[0]["detected"]
    assert not headers[1]["detected"]
    assert {"decode", "detect", "swap", "paste", "encode"} <= set(headers[0]["timings_ms"])


def test_backpressure_drops_to_the_newest_frame_and_says_so(client, frames, source_id) -> None:
    with client.websocket_connect(f"/v1/stream?source_id={source_id}") as ws:
        for frame in frames:  # 30 frames at once, far faster than they can be swapped
            ws.send_bytes(frame)
        results = []
        while not results or results[-1]["seq"] < len(frames):
            header = ws.receive_json()
            assert header["type"] == "frame", header
            ws.receive_bytes()
            results.append(header)
    seqs = [h["seq"] for h in results]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)
    assert seqs[-1] == len(frames)  # the newest frame is never the one dropped
    dropped = sum(h["dropped"] for h in results)
    assert dropped > 0
    assert dropped + len(results) == len(frames)
    assert results[-1]["dropped_total"] == dropped
    # Each header's `dropped` counts exactly the frames skipped since the previous result.
    previous = 0
    for header in results:
        assert header["dropped"] == header["seq"] - previous - 1
        previous = header["seq"]


def test_a_bad_frame_is_reported_and_the_stream_goes_on(client, frames, source_id) -> None:
    with client.websocket_connect(f"/v1/stream?source_id={source_id}") as ws:
        ws.send_bytes(b"garbage bytes, not a frame")
        error = ws.receive_json()
        assert error["type"] == "error"
        assert error["seq"] == 1
        assert error["error"]["code"] == "invalid_image"
        ws.send_bytes(frames[0])
        header = ws.receive_json()
        assert header["type"] == "frame"
        assert header["seq"] == 2
        assert ws.receive_bytes()[:3] == b"\xff\xd8\xff"


def test_stream_refusals(client, make_client, frames, source_id) -> None:
    with (
        pytest.raises(WebSocketDenialResponse) as unknown,
        client.websocket_connect("/v1/stream?source_id=src_unknown"),
    ):
        pass
    assert unknown.value.status_code == 404
    with (
        pytest.raises(WebSocketDenialResponse) as bad,
        client.websocket_connect(f"/v1/stream?source_id={source_id}&faces=reference"),
    ):
        pass
    assert bad.value.status_code == 422
    with (
        client.websocket_connect(f"/v1/stream?source_id={source_id}"),
        pytest.raises(WebSocketDenialResponse) as busy,  # max_streams is 1
        client.websocket_connect(f"/v1/stream?source_id={source_id}"),
    ):
        pass
    assert busy.value.status_code == 503
    assert json.loads(busy.value.content)["error"]["code"] == "overloaded"


def test_a_frame_over_the_limit_closes_the_socket(make_client, faces, frames) -> None:
    from faceswap_rest.config import ServeLimits

    small = make_client(max_streams=1, limits=ServeLimits(max_ws_frame_bytes=4096))
    source = small.post("/v1/sources", files={"source": ("s.png", faces["source"])}).json()
    with small.websocket_connect(f"/v1/stream?source_id={source['source_id']}") as ws:
        ws.send_bytes(frames[0])  # ~20 KB
        header = ws.receive_json()
        assert header["type"] == "error"
        assert header["error"]["code"] == "frame_too_large"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_bytes()
    assert closed.value.code == 1009
