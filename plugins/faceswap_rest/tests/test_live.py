"""``faceswap serve`` as a real process on a free loopback port: real swaps, a bounded load
test, abuse over raw sockets, a WebSocket through uvicorn, and the web page in Chromium.

The load test sends LOAD_REQUESTS swaps from LOAD_CONCURRENCY threads (small
192 px targets, a registered source) to a server with the default admission
limits (``max_concurrent_swaps: 4``, ``max_queued_swaps: 16``) and prints p50 /
p95 latency, throughput, the 503 count and the server's RSS before and after; it
stops by itself.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.client
import io
import json
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage

from faceswap_rest.config import TOKEN_ENV

from .test_contract import png_header_only

TOKEN = "live-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LOAD_REQUESTS = 200
LOAD_CONCURRENCY = 16
RSS_GROWTH_LIMIT_MB = 150
"""The server's RSS after the load test may exceed its RSS before by at most this."""
MAX_BODY = 2 * 1024 * 1024
STARTUP_TIMEOUT_S = 90.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


class Live:
    def __init__(self, port: int, process: subprocess.Popen[bytes], log: Path, root: Path):
        self.port = port
        self.process = process
        self.log = log
        self.root = root
        self.url = f"http://127.0.0.1:{port}"

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers={**AUTH, **(headers or {})})
            response = conn.getresponse()
            return (
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
        finally:
            conn.close()


def multipart(files: dict[str, tuple[str, bytes]], fields: dict[str, str] | None = None):
    boundary = "faceswaplivetestboundary"
    parts = []
    for name, value in (fields or {}).items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for name, (filename, data) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


@contextlib.contextmanager
def serving(root: Path, config_text: str | None, *args: str) -> Iterator[Live]:
    """``faceswap serve --config`` with ``config_text`` (or ``args`` naming the config) on a
    free port, ready; stopped after."""
    if config_text is not None:
        config = root / "serve.yaml"
        config.write_text(config_text)
        args = ("--config", str(config), *args)
    port = _free_port()
    log = root / "server.log"
    env = {**os.environ, TOKEN_ENV: TOKEN, "OMP_NUM_THREADS": "1"}
    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "faceswap_core", "serve", "--port", str(port), *args],
            env=env, stdout=stderr, stderr=stderr, cwd=root,
        )  # fmt: skip
    server = Live(port, process, log, root)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if server.request("GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The service with its default admission limits (4 slots, a queue of 16)."""
    root = tmp_path_factory.mktemp("live")
    reports = root / "work_dirs" / "eval-a"
    reports.mkdir(parents=True)
    (reports / "metrics.json").write_text(json.dumps({"schema": "faceswap.eval/1", "metrics": {}}))
    (root / "secret.txt").write_text("outside the reports root")
    config = (
        f"serve:\n  threads: 2\n  max_streams: 1\n  max_jobs: 0\n"
        f"  reports_dir: {root / 'work_dirs'}\n  jobs_dir: {root / 'jobs'}\n"
        f"  limits: {{max_body_bytes: {MAX_BODY}}}\n"
    )
    with serving(root, config) as server:
        yield server


def test_the_readmes_command_runs_the_shipped_serve_yaml(tmp_path) -> None:
    """``faceswap serve --port P --config serve.yaml`` from a folder without one: the shipped
    configs/face_swap/serve.yaml, with --set and --runtime/--providers on top."""
    args = (
        "--config", "serve.yaml", "--set", "serve.threads=1", "--set", "serve.max_streams=0",
        "--set", "serve.max_jobs=0", "--set", f"serve.jobs_dir={tmp_path / 'jobs'}",
        "--runtime", "onnxruntime", "--providers", "cpu",
    )  # fmt: skip
    with serving(tmp_path, None, *args) as server:
        status, _, body = server.request("GET", "/readyz")
        assert status == 200
        assert json.loads(body)["pipelines"] == {"swap": 1, "stream": 0, "video": 0}
    assert "faceswap serve: http://127.0.0.1:" in server.log.read_text()


def test_real_swaps_of_real_faces(live, faces) -> None:
    body, headers = multipart(
        {"source": ("s.png", faces["source"]), "target": ("t.jpg", faces["target"])},
        {"format": "png"},
    )
    status, response_headers, data = live.request("POST", "/v1/swap", body, headers)
    assert status == 200, data[:300]
    assert response_headers["x-faces-swapped"] == "1"
    image = np.asarray(PILImage.open(io.BytesIO(data)).convert("RGB"))
    assert image.shape == (512, 512, 3)
    lines = [json.loads(line) for line in live.log.read_text().splitlines() if line.startswith("{")]
    swaps = [line for line in lines if line.get("route") == "/v1/swap"]
    assert swaps
    assert swaps[-1]["status"] == 200
    assert swaps[-1]["faces"] == 1


def test_bounded_load(live, faces) -> None:
    body, headers = multipart({"source": ("s.png", faces["source"])})
    status, _, data = live.request("POST", "/v1/sources", body, headers)
    assert status == 201, data
    source_id = json.loads(data)["source_id"]
    body, headers = multipart(
        {"target": ("t.jpg", faces["small"])}, {"source_id": source_id, "format": "jpg"}
    )
    for _ in range(4):  # warm up, then measure memory
        assert live.request("POST", "/v1/swap", body, headers)[0] == 200
    rss_before = _rss_mb(live.process.pid)

    def one(_: int) -> tuple[int, float, bool]:
        started = time.perf_counter()
        status, response_headers, data = live.request("POST", "/v1/swap", body, headers)
        elapsed = time.perf_counter() - started
        valid = False
        if status == 200:
            with PILImage.open(io.BytesIO(data)) as image:
                image.load()
                valid = (
                    image.size == (192, 192) and response_headers["content-type"] == "image/jpeg"
                )
        return status, elapsed, valid

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(LOAD_CONCURRENCY) as pool:
        results = list(pool.map(one, range(LOAD_REQUESTS)))
    wall = time.perf_counter() - started
    rss_after = _rss_mb(live.process.pid)
    statuses = [status for status, _, _ in results]
    ok = [elapsed for status, elapsed, _ in results if status == 200]
    busy = statuses.count(503)
    p50, p95 = (float(np.percentile(ok, q)) * 1000 for q in (50, 95))
    print(
        f"\nload: {LOAD_REQUESTS} requests, {LOAD_CONCURRENCY} concurrent, 192x192 JPEG targets: "
        f"{len(ok)} x 200, {busy} x 503; p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
        f"{len(ok) / wall:.1f} req/s; server RSS {rss_before:.0f} MB -> {rss_after:.0f} MB"
    )
    assert all(status in (200, 503) for status in statuses), sorted(set(statuses))
    assert all(valid for status, _, valid in results if status == 200)
    assert len(ok) >= LOAD_REQUESTS // 2
    assert rss_after - rss_before < RSS_GROWTH_LIMIT_MB


def test_a_chunked_body_over_the_limit_is_cut_off_on_the_wire(live) -> None:
    head = (
        f"POST /v1/swap HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    part = b'--b\r\nContent-Disposition: form-data; name="target"; filename="t.jpg"\r\n\r\n'
    chunk = os.urandom(64 * 1024)
    total = 64 * 1024 * 1024  # what the client would send if nobody stopped it
    sent = 0
    response = b""
    with socket.create_connection(("127.0.0.1", live.port), timeout=30) as sock:
        sock.sendall(head + f"{len(part):x}\r\n".encode() + part + b"\r\n")
        while sent < total:
            try:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
            if select.select([sock], [], [], 0.005)[0]:
                break
        sock.settimeout(10)
        try:  # the server closes the connection after its answer (Connection: close)
            while data := sock.recv(65536):
                response += data
        except (ConnectionResetError, TimeoutError):
            pass
    assert response.startswith(b"HTTP/1.1 413"), response[:200]
    assert b"connection: close" in response.lower()
    assert b'"body_too_large"' in response
    assert sent < 4 * MAX_BODY  # stopped near the 2 MiB limit, not at 64 MiB


def test_abuse_answers(live, faces) -> None:
    huge, headers = multipart(
        {
            "source": ("s.png", faces["source"]),
            "target": ("t.png", png_header_only(100_000, 100_000)),
        }
    )
    status, _, data = live.request("POST", "/v1/swap", huge, headers)
    assert status == 413
    assert json.loads(data)["error"]["code"] == "image_too_large"
    garbage, headers = multipart(
        {"source": ("s.png", faces["source"]), "target": ("t.jpg", os.urandom(5000))}
    )
    status, _, data = live.request("POST", "/v1/swap", garbage, headers)
    assert status == 400
    assert json.loads(data)["error"]["code"] == "invalid_image"
    for path in (
        "/v1/reports/eval-a/files/../../secret.txt",  # sent as is: http.client does not normalise
        "/v1/reports/eval-a/files/%2e%2e/%2e%2e/secret.txt",
        "/v1/reports/eval-a/files/..%2F..%2Fsecret.txt",
        "/v1/reports/../secret.txt",
        f"/v1/reports/eval-a/files/{live.root}/secret.txt",
    ):
        status, _, data = live.request("GET", path)
        assert status == 404, (path, data)
        assert b"outside the reports root" not in data
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong"}):
        status, _, data = live.request("GET", "/v1/plugins", headers=headers)
        assert status == 401
        assert json.loads(data)["error"]["code"] == "unauthorized"
    assert live.request("GET", "/healthz", headers={"Authorization": ""})[0] == 200


def test_the_stream_through_uvicorn(live, faces) -> None:
    from websockets.sync.client import connect

    body, headers = multipart({"source": ("s.png", faces["source"])})
    source_id = json.loads(live.request("POST", "/v1/sources", body, headers)[2])["source_id"]
    url = f"ws://127.0.0.1:{live.port}/v1/stream?source_id={source_id}"
    with connect(url, additional_headers=AUTH) as ws:
        for seq in (1, 2):
            ws.send(faces["small"])
            header = json.loads(ws.recv())
            assert header["type"] == "frame"
            assert header["seq"] == seq
            assert header["swapped"] == 1
            frame = ws.recv()
            assert isinstance(frame, bytes)
            assert frame[:3] == b"\xff\xd8\xff"


CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_the_web_page_swaps_two_faces_in_chromium(live, faces, tmp_path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (nox -s tests does)")
    from playwright.sync_api import sync_playwright

    source = tmp_path / "source.png"
    source.write_bytes(faces["source"])
    target = tmp_path / "target.jpg"
    target.write_bytes(faces["target"])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(live.url + "/", wait_until="load")
            page.set_input_files("#source", str(source))
            page.set_input_files("#target", str(target))
            page.fill("#token", TOKEN)
            page.click("#swap")
            page.wait_for_function(
                "() => document.getElementById('result').naturalWidth > 0", timeout=60_000
            )
            state: dict[str, Any] = page.evaluate(
                """() => ({
                    width: document.getElementById('result').naturalWidth,
                    status: document.getElementById('status').textContent,
                    stages: Array.from(document.querySelectorAll('#timing tbody tr'))
                        .map((tr) => tr.cells[0].textContent),
                })"""
            )
            page.screenshot(path=str(tmp_path / "page.png"))
        finally:
            browser.close()
    assert not errors, errors
    assert state["width"] == 512
    assert state["status"].startswith("1/1 faces swapped in ")
    assert {"detect", "swap", "round trip"} <= set(state["stages"])


def test_two_workers_share_the_job_folder(tmp_path, faces, clip) -> None:
    """With --workers 2 any worker answers for any job: the state is on disk, not in memory."""
    config = tmp_path / "serve.yaml"
    config.write_text(
        f"serve:\n  threads: 1\n  max_streams: 0\n  max_jobs: 1\n  jobs_dir: {tmp_path / 'jobs'}\n"
    )
    port = _free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, TOKEN_ENV: TOKEN, "OMP_NUM_THREADS": "1"}
    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "faceswap_core", "serve", "--port", str(port),
             "--workers", "2", "--config", str(config)],
            env=env, stdout=stderr, stderr=stderr,
        )  # fmt: skip
    server = Live(port, process, log, tmp_path)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        workers: set[int] = set()
        while len(workers) < 2:  # both workers answered ready (each loaded its models)
            assert process.poll() is None, log.read_text()
            try:
                status, _, data = server.request("GET", "/readyz")
                if status == 200:
                    workers.add(json.loads(data)["pid"])
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        body, headers = multipart({"target": ("in.mp4", clip.read_bytes()),
                                   "source": ("s.png", faces["source"])})  # fmt: skip
        status, _, data = server.request("POST", "/v1/jobs/video", body, headers)
        assert status == 202, data
        job_id = json.loads(data)["id"]
        seen: set[str] = set()
        deadline = time.monotonic() + 60
        while "done" not in seen:
            status, _, data = server.request("GET", f"/v1/jobs/{job_id}")
            assert status == 200, data  # never a 404 from the worker that did not take it
            seen.add(json.loads(data)["status"])
            assert time.monotonic() < deadline, seen
            time.sleep(0.05)
        status, _, video = server.request("GET", f"/v1/jobs/{job_id}/result")
        assert status == 200
        assert video[4:8] == b"ftyp"
    finally:
        process.terminate()
        process.wait(timeout=30)
