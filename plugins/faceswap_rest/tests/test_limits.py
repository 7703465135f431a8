"""Limits: each has a name, a default, a range, and a test that it holds.

Body limits are exercised at the ASGI level with a receive() that counts what
the app pulls, so "cut off before it is read whole" is measured, not assumed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import resource
import time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest
from starlette.testclient import TestClient

from faceswap_core.errors import ConfigError
from faceswap_rest.app import create_app
from faceswap_rest.config import TOKEN_ENV, ServeConfig, ServeLimits, load_settings

from .conftest import settings_for
from .test_contract import png_header_only, swap_files

KiB = 1024


def run_asgi(app: Any, path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]):
    """Send one HTTP request through the ASGI app; returns (status, body, bytes pulled)."""
    pulled = 0
    queue = list(chunks)

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if not queue:
            return {"type": "http.request", "body": b"", "more_body": False}
        chunk = queue.pop(0)
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(queue)}

    status, _, body = asgi_request(app, path, receive, headers)
    return status, json.loads(body), pulled


def asgi_request(app: Any, path: str, receive: Any, headers: list[tuple[bytes, bytes]]):
    """One POST through the ASGI app with the given ``receive``; (status, headers, body)."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 1), "server": ("t", 80),
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


@pytest.fixture(scope="module")
def small_body_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    settings = settings_for(
        tmp_path_factory.mktemp("limits"), limits=ServeLimits(max_body_bytes=64 * KiB)
    )
    app = create_app(settings)
    app.state.service.load()  # ready without a server around it
    yield app
    app.state.service.close()


def test_chunked_body_over_the_limit_is_cut_off_before_it_is_read_whole(small_body_app) -> None:
    chunk = b"x" * (16 * KiB)
    head = (
        b'--b\r\nContent-Disposition: form-data; name="target"; filename="t.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n"
    )
    chunks = [head] + [chunk] * 640  # a 10 MiB file part, no Content-Length (chunked)
    multipart = [(b"content-type", b"multipart/form-data; boundary=b")]
    status, body, pulled = run_asgi(small_body_app, "/v1/swap", chunks, multipart)
    assert status == 413
    assert body["error"]["code"] == "body_too_large"
    assert "over the limit of 64.0 KiB (max_body_bytes)" in body["error"]["message"]
    assert 64 * KiB < pulled <= 64 * KiB + len(chunk)  # stopped at the first chunk past it
    assert pulled < 0.01 * (len(head) + 640 * len(chunk))


def test_declared_length_over_the_limit_is_refused_unread(small_body_app) -> None:
    headers = [
        (b"content-type", b"multipart/form-data; boundary=b"),
        (b"content-length", b"999999"),
    ]
    status, body, pulled = run_asgi(small_body_app, "/v1/sources", [b"y" * 1000], headers)
    assert (status, body["error"]["code"], pulled) == (413, "body_too_large", 0)
    # Routes without uploads refuse a body worth buffering too (64 KiB).
    declared = [(b"content-length", str(70 * KiB).encode())]
    status, body, pulled = run_asgi(small_body_app, "/v1/reports", [b"z" * 70 * KiB], declared)
    assert (status, pulled) == (413, 0)


PART_HEAD = (
    b'--b\r\nContent-Disposition: form-data; name="target"; filename="t.jpg"\r\n'
    b"Content-Type: image/jpeg\r\n\r\n"
)
DECLARED = [
    (b"content-type", b"multipart/form-data; boundary=b"),
    (b"content-length", b"60000"),
]


@pytest.fixture(scope="module")
def strict_body_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """body_timeout_s 0.3, min_body_rate 2000 bytes/s."""
    limits = ServeLimits(body_timeout_s=0.3, min_body_rate=2000)
    app = create_app(settings_for(tmp_path_factory.mktemp("strict"), limits=limits))
    app.state.service.load()
    yield app
    app.state.service.close()


def trickle(chunk: int, every_s: float, first: bytes = PART_HEAD, stall_after: int | None = None):
    """A receive() that sends ``first``, then ``chunk`` bytes every ``every_s`` seconds."""
    state = {"sent": 0, "calls": 0}

    async def receive() -> dict[str, Any]:
        state["calls"] += 1
        if state["calls"] == 1:
            state["sent"] += len(first)
            return {"type": "http.request", "body": first, "more_body": True}
        if stall_after is not None and state["calls"] > stall_after:
            await asyncio.sleep(3600)
        await asyncio.sleep(every_s)
        state["sent"] += chunk
        return {"type": "http.request", "body": b"x" * chunk, "more_body": True}

    return receive, state


def test_a_body_under_the_minimum_rate_is_408_and_the_connection_closes(strict_body_app) -> None:
    receive, state = trickle(10, 0.02)  # 500 bytes/s: never idle, but under 2000 bytes/s
    status, headers, body = asgi_request(strict_body_app, "/v1/swap", receive, DECLARED)
    error = json.loads(body)["error"]
    assert (status, error["code"]) == (408, "body_timeout")
    assert "under the minimum of 2000 bytes/s after the first 0.3 s" in error["message"]
    assert "of 60000 bytes" in error["message"]
    assert headers[b"connection"] == b"close"
    assert state["sent"] < 1000  # cut off after about 0.3 s, not read to the end


def test_a_body_that_stops_is_408_after_the_idle_timeout(strict_body_app) -> None:
    receive, _ = trickle(20_000, 0.0, stall_after=2)  # 20 kB at once, then nothing
    status, headers, body = asgi_request(strict_body_app, "/v1/sources", receive, DECLARED)
    error = json.loads(body)["error"]
    assert (status, error["code"]) == (408, "body_timeout")
    assert "no bytes arrived for 0.3 s (body_timeout_s)" in error["message"]
    assert headers[b"connection"] == b"close"


def test_a_body_at_a_good_rate_in_many_chunks_is_read_whole(strict_body_app, faces) -> None:
    """400 chunks over about 0.4 s (more than body_timeout_s) at about 50 kB/s: not cut off."""
    data = multipart_bytes({"target": faces["small"], "source": faces["source"]})
    pieces = [data[i : i + len(data) // 400 + 1] for i in range(0, len(data), len(data) // 400 + 1)]

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.001)
        piece = pieces.pop(0)
        return {"type": "http.request", "body": piece, "more_body": bool(pieces)}

    headers = [(b"content-type", b"multipart/form-data; boundary=b"),
               (b"content-length", str(len(data)).encode())]  # fmt: skip
    status, response_headers, _ = asgi_request(strict_body_app, "/v1/swap", receive, headers)
    assert status == 200
    assert b"connection" not in response_headers


def test_a_client_that_leaves_mid_body_is_499_not_500(strict_body_app) -> None:
    calls = 0

    async def receive() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 1:
            return {"type": "http.request", "body": PART_HEAD + b"x" * 500, "more_body": True}
        return {"type": "http.disconnect"}

    status, _, body = asgi_request(strict_body_app, "/v1/swap", receive, DECLARED)
    error = json.loads(body)["error"]
    assert (status, error["code"]) == (499, "client_closed_request")
    assert f"after {len(PART_HEAD) + 500} of 60000 bytes" in error["message"]
    metrics = generate_latest(strict_body_app.state.service.metrics.registry).decode()
    assert 'route="/v1/swap",status="499"} 1.0' in metrics
    assert 'status="500"' not in metrics


def multipart_bytes(files: dict[str, bytes]) -> bytes:
    parts = [
        b'--b\r\nContent-Disposition: form-data; name="' + name.encode() + b'"; filename="f"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n"
        for name, data in files.items()
    ]
    return b"".join(parts) + b"--b--\r\n"


def test_a_body_under_the_limit_goes_through(small_body_app, faces) -> None:
    client = TestClient(small_body_app)
    response = client.post("/v1/sources", files={"source": ("s.png", faces["source"][:60000])})
    assert response.status_code != 413  # (the truncated PNG itself is a 400)


def test_pixel_limit_is_checked_from_the_header_without_decoding(make_client, faces) -> None:
    client = make_client(limits=ServeLimits(max_pixels=1_000_000))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # 9000 x 9000 RGB would take 243 MB to decode; its header alone is 413.
    files = swap_files(faces, target="small")
    files["target"] = ("t.png", png_header_only(9_000, 9_000))
    response = client.post("/v1/swap", files=files)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "image_too_large"
    assert "over the limit of 1000000 (max_pixels)" in error["message"]
    assert grown_kib < 100 * 1024  # peak memory did not grow by the 243 MB a decode needs
    # The astronaut (512 x 512) is under 1 MP and goes through.
    assert client.post("/v1/swap", files=swap_files(faces)).status_code == 200


def test_allowed_formats_are_sniffed_not_read_from_names(make_client, faces) -> None:
    client = make_client(limits=ServeLimits(formats=["png"]))
    jpeg_named_png = swap_files(faces, target="small")
    jpeg_named_png["target"] = ("t.png", faces["small"])  # JPEG bytes, .png name
    response = client.post(
        "/v1/swap", files={"target": ("t.png", faces["small"], "image/png"),
                           "source": ("s.png", faces["source"], "image/png")},
    )  # fmt: skip
    assert response.status_code == 415
    assert "JPEG images are not accepted here; send png" in response.json()["error"]["message"]


def test_overload_is_503_with_retry_after_and_the_slot_comes_back(make_client, faces) -> None:
    client = make_client(
        limits=ServeLimits(max_concurrent_swaps=1, max_queued_swaps=0, retry_after_s=7)
    )
    service = client.app.state.service
    release = client.portal.call(service.admit)  # another request holds the only slot
    busy = client.post("/v1/swap", files=swap_files(faces, target="small"))
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "7"
    assert busy.json()["error"]["code"] == "overloaded"
    assert "max_concurrent_swaps 1, max_queued_swaps 0" in busy.json()["error"]["message"]
    release()
    assert client.post("/v1/swap", files=swap_files(faces, target="small")).status_code == 200
    assert service.inflight == 0


def test_a_busy_server_queues_a_request_until_a_slot_frees(make_client, faces) -> None:
    """One slot, one queue place: the second request waits and is served, the third is 503."""
    client = make_client(
        limits=ServeLimits(max_concurrent_swaps=1, max_queued_swaps=1, queue_timeout_s=60)
    )
    service = client.app.state.service
    release = client.portal.call(service.admit)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(client.post, "/v1/swap", files=swap_files(faces, target="small"))
        deadline = time.monotonic() + 30
        while service.admission.waiting == 0:
            assert time.monotonic() < deadline
            assert not waiting.done()
            time.sleep(0.01)
        full = client.post("/v1/swap", files=swap_files(faces, target="small"))
        assert full.status_code == 503
        assert "1 swaps running and 1 waiting" in full.json()["error"]["message"]
        assert not waiting.done()  # still queued while the slot is held
        release()
        assert waiting.result(timeout=60).status_code == 200
    assert (service.inflight, service.admission.waiting) == (0, 0)
    metrics = client.get("/metrics").text
    assert "faceswap_swaps_queued 0.0" in metrics
    assert 'faceswap_overload_rejections_total{what="swap"} 1.0' in metrics


def test_a_request_that_waits_past_queue_timeout_is_503(make_client, faces) -> None:
    client = make_client(
        limits=ServeLimits(max_concurrent_swaps=1, queue_timeout_s=0.2, retry_after_s=3)
    )
    service = client.app.state.service
    release = client.portal.call(service.admit)
    try:
        busy = client.post("/v1/swap", files=swap_files(faces, target="small"))
    finally:
        release()
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "3"
    assert "within 0.2 s (queue_timeout_s" in busy.json()["error"]["message"]
    assert service.admission.waiting == 0
    deadline = time.monotonic() + 10
    while service.inflight:  # release() from this thread is handed to the event loop
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_request_timeout_is_503_and_keeps_the_slot_until_the_work_ends(make_client, faces) -> None:
    client = make_client(limits=ServeLimits(request_timeout_s=0.001, retry_after_s=2))
    response = client.post("/v1/swap", files=swap_files(faces))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "timeout"
    assert response.headers["retry-after"] == "2"
    service = client.app.state.service
    deadline = time.monotonic() + 30
    while service.inflight and time.monotonic() < deadline:
        time.sleep(0.01)
    assert service.inflight == 0  # released when the thread finished, not at the timeout


def test_not_ready_until_the_models_load(tmp_path, faces) -> None:
    app = create_app(settings_for(tmp_path))
    client = TestClient(app)  # no lifespan: the models never start loading
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["retry-after"] == "1"
    assert client.post("/v1/swap", files=swap_files(faces)).status_code == 503
    app.state.service.close()


def test_a_model_that_fails_to_load_is_reported_by_readyz(tmp_path) -> None:
    settings = settings_for(tmp_path)
    missing = tmp_path / "missing.onnx"
    pipeline = settings.pipeline
    import attrs

    settings = attrs.evolve(
        settings, pipeline=attrs.evolve(pipeline, swapper={"type": "onnx", "model": str(missing)})
    )
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 30
        ready = client.get("/readyz")
        while ready.json().get("error", {}).get("code") == "overloaded":
            assert time.monotonic() < deadline
            time.sleep(0.05)
            ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["error"]["code"] == "model_unavailable"
    assert "missing.onnx" in ready.json()["error"]["message"]


def test_settings_from_a_config_file_with_their_paths_in_errors(tmp_path, monkeypatch) -> None:
    config = tmp_path / "serve.yaml"
    config.write_text(
        "serve:\n  port: 9001\n  limits: {max_pixels: 2000000, formats: [png, jpeg]}\n"
        "pipeline:\n  faces: largest\n"
    )
    settings = load_settings(config, port=None, workers=2)
    assert settings.serve.port == 9001
    assert settings.serve.workers == 2
    assert settings.serve.limits.max_pixels == 2_000_000
    assert settings.pipeline.faces == "largest"
    assert settings.service_pipeline().limits.max_pixels == 2_000_000  # the smaller wins
    config.write_text("serve:\n  limits: {max_pixel: 5}\n")
    with pytest.raises(ConfigError, match=r"\$\.serve\.limits\.max_pixel"):
        load_settings(config)
    config.write_text("serve:\n  limits: {max_concurrent_swaps: 0}\n")
    with pytest.raises(ConfigError, match=r"max_concurrent_swaps.*between 1 and 1024"):
        load_settings(config)
    config.write_text("serve:\n  limits: {formats: [png, svg]}\n")
    with pytest.raises(ConfigError, match="formats"):
        load_settings(config)
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    assert ServeConfig(token="from-file").resolved_token() == "from-env"
    monkeypatch.delenv(TOKEN_ENV)
    assert ServeConfig(token="from-file").resolved_token() == "from-file"
    assert ServeConfig().resolved_token() is None


def test_defaults_are_the_documented_ones() -> None:
    limits = ServeLimits()
    assert limits.max_body_bytes == 20 * 1024 * 1024
    assert limits.max_pixels == 40_000_000
    assert limits.formats == ["png", "jpeg", "webp"]
    assert (limits.max_concurrent_swaps, limits.retry_after_s) == (4, 1)
    assert (limits.max_queued_swaps, limits.queue_timeout_s) == (16, 10.0)
    assert (limits.body_timeout_s, limits.min_body_rate) == (20.0, 500)
    assert limits.request_timeout_s == 60.0
    assert (limits.max_video_bytes, limits.max_video_seconds) == (500 * 1024 * 1024, 600.0)
    assert (limits.max_ws_frame_bytes, limits.source_cache_size) == (8 * 1024 * 1024, 256)
    serve = ServeConfig()
    assert (serve.host, serve.port, serve.workers, serve.cors_origins) == ("127.0.0.1", 8000, 1, [])
    assert serve.job_ttl_s == 3600.0


def test_the_documented_limits_are_the_defaults() -> None:
    """docs/rest.md's example ``serve.limits`` lists every limit with its default value."""
    import yaml

    from faceswap_core.config.convert import unstructure

    docs = Path(__file__).parents[3] / "docs" / "rest.md"
    text = docs.read_text(encoding="utf-8")
    block = text.split("## Configuration", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    documented = yaml.safe_load(block)["serve"]["limits"]
    assert documented == unstructure(ServeLimits())
