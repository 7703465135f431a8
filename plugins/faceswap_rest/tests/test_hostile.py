"""Hostile clients against ``faceswap serve`` on loopback, over real sockets (issue 17).

The server has the issue's ``max_concurrent_swaps: 2`` and no wait queue, so a
slow upload holding a slot would show at once as a 503; the body timeout is
short (``body_timeout_s: 2``, ``min_body_rate: 1000``) so the test is short.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .test_live import AUTH, TOKEN, Live, multipart, serving

SLOW_UPLOADS = 2
BODY_TIMEOUT_S = 2.0
MIN_BODY_RATE = 1000


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    root = tmp_path_factory.mktemp("hostile")
    config = (
        f"serve:\n  threads: 1\n  max_streams: 1\n  max_jobs: 0\n"
        f"  jobs_dir: {root / 'jobs'}\n  reports_dir: {root / 'work_dirs'}\n"
        f"  limits: {{max_concurrent_swaps: 2, max_queued_swaps: 0, "
        f"body_timeout_s: {BODY_TIMEOUT_S}, min_body_rate: {MIN_BODY_RATE}}}\n"
    )
    with serving(root, config) as server:
        yield server


def upload_head(port: int, length: int = 100_000) -> bytes:
    """Headers of a swap upload and the start of its first part: what a slow client sends."""
    return (
        f"POST /v1/swap HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {length}\r\n\r\n"
        '--b\r\nContent-Disposition: form-data; name="target"; filename="t.jpg"\r\n\r\n'
    ).encode()


class SlowUpload(threading.Thread):
    """Sends the head, then 10 body bytes every 0.5 s until the server answers or closes."""

    def __init__(self, port: int, limit_s: float = 30.0) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.limit_s = limit_s
        self.response = b""
        self.sent = 0
        self.answered_at: float | None = None
        self.closed = False

    def run(self) -> None:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(upload_head(self.port))
            sock.settimeout(0.5)
            while time.monotonic() - started < self.limit_s:
                try:
                    sock.sendall(b"x" * 10)
                    self.sent += 10
                    data = sock.recv(65536)
                except TimeoutError:
                    continue
                except OSError:  # reset: the server closed after answering
                    self.closed = True
                    break
                if not data:
                    self.closed = True
                    break
                self.response += data
                self.answered_at = self.answered_at or time.monotonic()
            # Read what is left of the answer (the server closes the connection after it).
            sock.settimeout(2)
            try:
                while chunk := sock.recv(65536):
                    self.response += chunk
                self.closed = True
            except OSError:
                self.closed = True


def access_log(server: Live) -> list[dict]:
    lines = server.log.read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def counter(server: Live, route: str, status: int) -> float:
    text = server.request("GET", "/metrics")[2].decode()
    prefix = f'faceswap_http_requests_total{{method="POST",route="{route}",status="{status}"}} '
    values = [float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix)]
    return values[0] if values else 0.0


def wait_for_log(server: Live, found, timeout: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        lines = access_log(server)
        if found(lines):
            return lines
        assert time.monotonic() < deadline, lines[-5:]
        time.sleep(0.05)


def test_slow_uploads_hold_no_swap_slot_and_are_cut_off(hostile, faces) -> None:
    """The issue's case: two clients trickle 10 bytes every 0.5 s into a 2-slot server."""
    body, headers = multipart({"source": ("s.png", faces["source"])})
    source_id = json.loads(hostile.request("POST", "/v1/sources", body, headers)[2])["source_id"]
    body, headers = multipart({"target": ("t.jpg", faces["small"])}, {"source_id": source_id})
    slow = [SlowUpload(hostile.port) for _ in range(SLOW_UPLOADS)]
    for upload in slow:
        upload.start()
    time.sleep(0.3)  # both are connected and trickling
    statuses: list[int] = []
    served_while_slow = 0
    while any(upload.answered_at is None and upload.is_alive() for upload in slow):
        status = hostile.request("POST", "/v1/swap", body, headers)[0]
        statuses.append(status)
        served_while_slow += status == 200 and all(u.answered_at is None for u in slow)
    for upload in slow:
        upload.join(timeout=30)
    assert statuses
    assert set(statuses) == {200}, statuses  # never a 503: no slot was held
    assert served_while_slow >= 1
    for upload in slow:
        assert upload.response.startswith(b"HTTP/1.1 408 "), upload.response[:200]
        assert b'"body_timeout"' in upload.response
        assert b"connection: close" in upload.response.lower()
        assert upload.closed  # the server stopped reading the rest
        # Cut off about BODY_TIMEOUT_S after the first byte, long before 100 kB at 20 B/s.
        assert upload.sent < 100
    assert counter(hostile, "/v1/swap", 408) == SLOW_UPLOADS
    assert counter(hostile, "/v1/swap", 500) == 0
    lines = wait_for_log(hostile, lambda ls: sum(x.get("status") == 408 for x in ls) >= 2)
    timed_out = [line for line in lines if line.get("status") == 408]
    assert all(line["error"] == "body_timeout" for line in timed_out)
    assert "Traceback" not in hostile.log.read_text()


def test_a_dropped_upload_is_logged_as_499_without_a_traceback(hostile) -> None:
    before = counter(hostile, "/v1/swap", 499)
    with socket.create_connection(("127.0.0.1", hostile.port), timeout=5) as sock:
        sock.sendall(upload_head(hostile.port) + b"x" * 5000)
        time.sleep(0.2)  # the server is reading the body
    # ...and the client is gone with 95 kB unsent.
    lines = wait_for_log(hostile, lambda ls: any(x.get("status") == 499 for x in ls))
    dropped = [line for line in lines if line.get("status") == 499][-1]
    assert dropped["route"] == "/v1/swap"
    assert dropped["error"] == "client_closed_request"
    assert dropped["body_bytes"] >= 5000
    assert counter(hostile, "/v1/swap", 499) == before + 1
    assert counter(hostile, "/v1/swap", 500) == 0
    log = hostile.log.read_text()
    assert "Traceback" not in log
    assert "Exception in ASGI application" not in log


def test_websocket_closes_log_nothing_at_error_level(hostile, faces) -> None:
    from websockets.sync.client import connect

    body, headers = multipart({"source": ("s.png", faces["source"])})
    source_id = json.loads(hostile.request("POST", "/v1/sources", body, headers)[2])["source_id"]
    url = f"ws://127.0.0.1:{hostile.port}/v1/stream?source_id={source_id}"
    for _ in range(2):  # a normal close, twice (the stream slot must come back)
        with connect(url, additional_headers=AUTH) as ws:
            ws.send(faces["small"])
            assert json.loads(ws.recv())["type"] == "frame"
            assert isinstance(ws.recv(), bytes)
    with connect(url, additional_headers=AUTH) as ws:  # a client that just drops the socket
        ws.send(faces["small"])
        ws.socket.close()
    deadline = time.monotonic() + 10
    while sum(line.get("route") == "/v1/stream" for line in access_log(hostile)) < 3:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    log = hostile.log.read_text()
    assert "Exception in ASGI application" not in log
    assert "Traceback" not in log
    assert not [line for line in log.splitlines() if line.startswith("ERROR")]
    streams = [line for line in access_log(hostile) if line.get("route") == "/v1/stream"]
    assert [line["status"] for line in streams] == [101, 101, 101]


def test_every_answer_names_no_server_path(hostile: Live) -> None:
    """A 10,000-character run name and friends, through uvicorn: short 4xx, no path."""
    root = str(Path(hostile.root))
    for path in ("/v1/reports/" + "a" * 10_000, "/v1/reports/" + "b" * 300, "/v1/jobs/x" * 50):
        status, _, data = hostile.request("GET", path)
        assert 400 <= status < 500, (status, data[:200])
        assert root.encode() not in data
        assert len(data) < 2000
