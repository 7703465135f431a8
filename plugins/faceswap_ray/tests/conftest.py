"""A real Ray cluster on 127.0.0.1 for the whole session, and small real faces.

The head is ``ray start --head --block`` in a subprocess, sized for a 2-core
CI machine (2 CPUs, a 100 MB object store, no dashboard, logs in a temp
folder); the test process joins it as a driver through its GCS address, like
a user's ``--cluster HOST:PORT``. It is stopped by its own PID at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap_core.tools.samples import load_sample, sample_path

os.environ.setdefault("FACESWAP_STRICT_PLUGINS", "1")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
# A loopback-only test cluster: no token, so the head and the driver never disagree about
# which token file is current (a real cluster keeps Ray's token authentication on).
os.environ["RAY_AUTH_MODE"] = "disabled"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ray start exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the Ray head did not open port {port} in {timeout} s")


@pytest.fixture(scope="session")
def ray_head() -> Iterator[dict[str, str]]:
    """``{"gcs": "127.0.0.1:P", "client": "ray://127.0.0.1:Q"}`` of a running head."""
    ray_bin = Path(sys.executable).with_name("ray")
    temp = tempfile.mkdtemp(prefix="fsray-", dir="/tmp")  # short: Ray's socket paths
    gcs, client = free_port(), free_port()
    command = [
        str(ray_bin),
        "start",
        "--head",
        "--block",
        "--node-ip-address=127.0.0.1",
        f"--port={gcs}",
        f"--ray-client-server-port={client}",
        "--num-cpus=2",
        "--num-gpus=0",
        f"--object-store-memory={100 * 1024 * 1024}",
        "--include-dashboard=false",
        "--disable-usage-stats",
        f"--temp-dir={temp}",
    ]
    # A loaded 2-core CI machine can take more than Ray's default 30 s to start the Ray
    # Client's per-driver server process; give it time instead of failing the client test.
    env = {**os.environ, "RAY_CLIENT_SERVER_CHECK_CHANNEL_TIMEOUT_S": "180"}
    head = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for_port(gcs, head, timeout=120)
        _wait_for_port(client, head, timeout=120)
        yield {"gcs": f"127.0.0.1:{gcs}", "client": f"ray://127.0.0.1:{client}"}
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        os.killpg(head.pid, signal.SIGTERM)  # the head's own process group
        try:
            head.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait(timeout=30)
        shutil.rmtree(temp, ignore_errors=True)


def _jpeg(image: np.ndarray, path: Path) -> Path:
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    return path


@pytest.fixture(scope="session")
def source_path() -> Path:
    return sample_path("tom_hanks")


@pytest.fixture(scope="session")
def faces_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six small targets (160 px crops of real faces) and one file that is not an image."""
    folder = tmp_path_factory.mktemp("targets")
    astronaut = load_sample("astronaut")[0:300, 100:400]
    t1 = load_sample("t1")
    crops = [astronaut, astronaut[:, ::-1], t1[40:260, 0:300], t1[40:260, 300:600]]
    for index, crop in enumerate(crops):
        small = cv2.resize(crop, (160, 160), interpolation=cv2.INTER_AREA)
        _jpeg(np.ascontiguousarray(small), folder / f"face{index}.jpg")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return folder
