"""Resumable, verified downloads against a real HTTP server on 127.0.0.1.

The server supports ``Range`` requests and can misbehave on purpose: drop the
connection halfway, answer 500 a few times, ignore ``Range``, stall, or serve
the wrong bytes.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import attrs
import pytest

from faceswap_core.errors import ModelFileError
from faceswap_core.models.catalog import ModelSpec
from faceswap_core.models.download import ChecksumMismatchError, DownloadError, download, part_path
from faceswap_core.models.store import ModelStore, UnverifiedModelWarning, url_env_var

PAYLOAD = bytes(range(256)) * 1024  # 256 KiB, several read chunks on the wire
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


@attrs.define
class Behaviour:
    """What the server does; ``requests`` records (path, Range header) of every request."""

    body: bytes = PAYLOAD
    drop_first: int = 0  # this many responses stop after half the body
    fail_first: int = 0  # this many responses are HTTP 500
    ignore_range: bool = False
    stall_s: float = 0.0
    status: int = 200
    requests: list[tuple[str, str | None]] = attrs.Factory(list)


class Handler(BaseHTTPRequestHandler):
    behaviour: Behaviour

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        b = self.server.behaviour  # type: ignore[attr-defined]
        b.requests.append((self.path, self.headers.get("Range")))
        if b.stall_s:
            time.sleep(b.stall_s)
        if b.fail_first > 0:
            b.fail_first -= 1
            self.send_error(500, "try again")
            return
        if b.status != 200:
            self.send_error(b.status)
            return
        body, start = b.body, 0
        header = self.headers.get("Range")
        if header and not b.ignore_range:
            start = int(header.removeprefix("bytes=").split("-")[0])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        chunk = body[start:]
        self.send_header("Content-Length", str(len(chunk)))
        self.send_header("ETag", f'"{hashlib.md5(body).hexdigest()}"')
        self.end_headers()
        if b.drop_first > 0:
            b.drop_first -= 1
            self.wfile.write(chunk[: len(chunk) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        try:
            self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            self.close_connection = True


@attrs.define
class Server:
    behaviour: Behaviour
    base: str

    def url(self, name: str = "model.onnx") -> str:
        return f"{self.base}/{name}"


@pytest.fixture
def server() -> Iterator[Server]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    behaviour = Behaviour()
    httpd.behaviour = behaviour  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield Server(behaviour, f"http://127.0.0.1:{httpd.server_address[1]}")
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_download_verifies_and_keeps_no_partial_files(server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "m" / "model.onnx"
    seen: list[int] = []
    result = download(
        server.url(), dest, expected_sha256=PAYLOAD_SHA, progress=lambda done, _: seen.append(done)
    )
    assert dest.read_bytes() == PAYLOAD
    assert (result.sha256, result.size, result.attempts, result.resumed_from) == (
        PAYLOAD_SHA,
        len(PAYLOAD),
        1,
        0,
    )
    assert seen[-1] == len(PAYLOAD)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["model.onnx"]


def test_dropped_connection_is_resumed_with_a_range_request(server: Server, tmp_path: Path) -> None:
    server.behaviour.drop_first = 1
    dest = tmp_path / "model.onnx"
    result = download(server.url(), dest, expected_sha256=PAYLOAD_SHA, backoff=0.01)
    assert dest.read_bytes() == PAYLOAD
    assert result.attempts == 2
    assert result.resumed_from == len(PAYLOAD) // 2
    assert [r for _, r in server.behaviour.requests] == [None, f"bytes={len(PAYLOAD) // 2}-"]


def test_interrupted_run_resumes_in_the_next_run(server: Server, tmp_path: Path) -> None:
    server.behaviour.drop_first = 1
    dest = tmp_path / "model.onnx"
    with pytest.raises(DownloadError, match="run the same command again to resume") as info:
        download(server.url(), dest, expected_sha256=PAYLOAD_SHA, retries=0)
    assert info.value.exit_code == 5
    assert not dest.exists()
    assert part_path(dest).stat().st_size == len(PAYLOAD) // 2
    result = download(server.url(), dest, expected_sha256=PAYLOAD_SHA, retries=0)
    assert result.resumed_from == len(PAYLOAD) // 2
    assert dest.read_bytes() == PAYLOAD
    assert not part_path(dest).exists()


def test_part_of_a_different_url_is_not_resumed(server: Server, tmp_path: Path) -> None:
    server.behaviour.drop_first = 1
    dest = tmp_path / "model.onnx"
    with pytest.raises(DownloadError):
        download(server.url("old.onnx"), dest, retries=0)
    result = download(server.url("new.onnx"), dest, expected_sha256=PAYLOAD_SHA)
    assert result.resumed_from == 0
    assert server.behaviour.requests[-1] == ("/new.onnx", None)


def test_server_ignoring_range_restarts_from_zero(server: Server, tmp_path: Path) -> None:
    server.behaviour.drop_first = 1
    server.behaviour.ignore_range = True
    dest = tmp_path / "model.onnx"
    result = download(server.url(), dest, expected_sha256=PAYLOAD_SHA, backoff=0.01)
    assert result.resumed_from == 0
    assert dest.read_bytes() == PAYLOAD


def test_complete_part_is_finished_without_refetching(server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "model.onnx"
    server.behaviour.drop_first = 1
    with pytest.raises(DownloadError):
        download(server.url(), dest, retries=0)
    part_path(dest).write_bytes(PAYLOAD)  # as if the last bytes arrived before the crash
    result = download(server.url(), dest, expected_sha256=PAYLOAD_SHA)
    assert server.behaviour.requests[-1][1] == f"bytes={len(PAYLOAD)}-"  # answered 416
    assert result.size == len(PAYLOAD)
    assert dest.read_bytes() == PAYLOAD


def test_server_errors_are_retried_with_backoff(server: Server, tmp_path: Path) -> None:
    server.behaviour.fail_first = 2
    dest = tmp_path / "model.onnx"
    started = time.perf_counter()
    result = download(server.url(), dest, expected_sha256=PAYLOAD_SHA, retries=3, backoff=0.05)
    assert result.attempts == 3
    assert time.perf_counter() - started >= 0.05 + 0.1  # two waits: 0.05 s, then 0.1 s
    assert dest.read_bytes() == PAYLOAD


def test_retries_are_bounded(server: Server, tmp_path: Path) -> None:
    server.behaviour.fail_first = 10
    with pytest.raises(DownloadError, match=r"HTTP 500.*gave up after 3 attempts"):
        download(server.url(), tmp_path / "model.onnx", retries=2, backoff=0.01)
    assert len(server.behaviour.requests) == 3


def test_not_found_is_not_retried(server: Server, tmp_path: Path) -> None:
    server.behaviour.status = 404
    with pytest.raises(DownloadError, match="HTTP 404"):
        download(server.url(), tmp_path / "model.onnx", retries=3, backoff=0.01)
    assert len(server.behaviour.requests) == 1


def test_stalled_server_times_out(server: Server, tmp_path: Path) -> None:
    server.behaviour.stall_s = 0.6
    with pytest.raises(DownloadError, match=r"timed out.*gave up after 1 attempts"):
        download(server.url(), tmp_path / "model.onnx", timeout=0.1, retries=0)


def test_wrong_bytes_fail_the_checksum_and_keep_the_good_file(
    server: Server, tmp_path: Path
) -> None:
    dest = tmp_path / "model.onnx"
    dest.write_bytes(b"the good file the user already had")
    server.behaviour.body = PAYLOAD[::-1]
    with pytest.raises(ChecksumMismatchError, match="failed its checksum") as info:
        download(server.url(), dest, expected_sha256=PAYLOAD_SHA)
    assert info.value.exit_code == 5
    assert dest.read_bytes() == b"the good file the user already had"
    assert not part_path(dest).exists()


def test_wrong_size_is_rejected_before_hashing(server: Server, tmp_path: Path) -> None:
    with pytest.raises(ChecksumMismatchError, match=f"{len(PAYLOAD)} bytes, expected 10"):
        download(server.url(), tmp_path / "model.onnx", expected_size=10)


# -- ModelStore.pull against the server --------------------------------------------------


def _catalog(server: Server, **extra: ModelSpec) -> list[ModelSpec]:
    return [
        ModelSpec(
            name="pinned",
            file="pinned.onnx",
            kind="swapper",
            license="test",
            sha256=PAYLOAD_SHA,
            size=len(PAYLOAD),
            urls=(server.url("pinned.onnx"),),
        ),
        ModelSpec(
            name="loose",
            file="loose.onnx",
            kind="detector",
            license="test",
            urls=(server.url("loose.onnx"),),
        ),
        ModelSpec(
            name="packed",
            file="pack/member.onnx",
            kind="recognizer",
            license="test",
            urls=(server.url("pack.zip"),),
            archive_member="member.onnx",
        ),
    ]


def test_pull_downloads_verifies_and_is_then_offline(server: Server, tmp_path: Path) -> None:
    server.behaviour.drop_first = 1
    store = ModelStore(tmp_path / "models", catalog=_catalog(server))
    status = store.pull("pinned", backoff=0.01)
    assert status.status == "present"
    assert status.verified
    assert store.path_for("pinned").read_bytes() == PAYLOAD
    count = len(server.behaviour.requests)
    assert store.pull("pinned").status == "present"  # already there: no request
    assert len(server.behaviour.requests) == count


def test_pull_with_a_bad_mirror_keeps_the_good_file(server: Server, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models", catalog=_catalog(server))
    store.pull("pinned")
    server.behaviour.body = bytes(len(PAYLOAD))
    with pytest.raises(ModelFileError, match="failed its checksum") as info:
        store.pull("pinned", force=True)
    assert info.value.exit_code == 5
    assert store.path_for("pinned").read_bytes() == PAYLOAD
    assert not part_path(store.root / "pinned.onnx").exists()


def test_pull_url_from_argument_and_environment(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = attrs.evolve(_catalog(server)[0], urls=("http://127.0.0.1:9/unreachable",))
    store = ModelStore(tmp_path / "models", catalog=[spec])
    monkeypatch.setenv(url_env_var("pinned"), server.url("from-env.onnx"))
    store.pull("pinned")
    assert server.behaviour.requests[-1][0] == "/from-env.onnx"
    store.pull("pinned", server.url("from-arg.onnx"), force=True)
    assert server.behaviour.requests[-1][0] == "/from-arg.onnx"


def test_pull_unpinned_records_the_hash_and_refuses_a_changed_file(
    server: Server, tmp_path: Path
) -> None:
    store = ModelStore(tmp_path / "models", catalog=_catalog(server))
    with pytest.warns(UnverifiedModelWarning):
        status = store.pull("loose")
    assert not status.verified
    assert store.observed_sha256("loose") == PAYLOAD_SHA
    assert list((store.root / ".downloads").iterdir()) == []
    # The file goes away and the mirror now serves something else: not accepted silently.
    (store.root / "loose.onnx").unlink()
    server.behaviour.body = b"a different file"
    with pytest.raises(ModelFileError, match="--overwrite"):
        store.pull("loose")
    assert not (store.root / "loose.onnx").exists()
    assert list((store.root / ".downloads").iterdir()) == []
    with pytest.warns(UnverifiedModelWarning):
        store.pull("loose", force=True)
    assert (store.root / "loose.onnx").read_bytes() == b"a different file"
    assert store.observed_sha256("loose") == hashlib.sha256(b"a different file").hexdigest()


def test_pull_extracts_a_member_of_a_zip(server: Server, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("pack/member.onnx", PAYLOAD)
        bundle.writestr("pack/other.onnx", b"other")
    server.behaviour.body = buffer.getvalue()
    store = ModelStore(tmp_path / "models", catalog=_catalog(server))
    with pytest.warns(UnverifiedModelWarning):
        status = store.pull("packed")
    assert status.path == store.root / "pack" / "member.onnx"
    assert status.path.read_bytes() == PAYLOAD
    assert store.observed_sha256("packed") == PAYLOAD_SHA


def test_pull_of_a_broken_zip_deletes_it(server: Server, tmp_path: Path) -> None:
    server.behaviour.body = b"PK\x03\x04 not really a zip"
    store = ModelStore(tmp_path / "models", catalog=_catalog(server))
    with pytest.raises(ModelFileError, match="not a valid zip"):
        store.pull("packed")
    assert not (store.root / ".downloads" / "pack.zip").exists()
    assert not (store.root / "pack" / "member.onnx").exists()
