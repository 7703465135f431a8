"""Addresses, unreachable clusters and workers unlike their driver, on a real cluster."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceswap_core.errors import ClusterAddressError, ClusterError, WorkerMismatchError
from faceswap_core.pipeline.batch import plan_batch, prepare_output_folder, swap_batch
from faceswap_core.plugin.manager import get_plugins
from faceswap_ray.address import parse_address
from faceswap_ray.runner import connect
from faceswap_ray.versions import versions_of

from .conftest import free_port


@pytest.mark.parametrize(
    ("text", "kind", "host", "port"),
    [
        ("local", "local", None, None),
        (" auto ", "auto", None, None),
        ("ray://head.example:10001", "client", "head.example", 10001),
        ("10.0.0.5:6379", "gcs", "10.0.0.5", 6379),
        ("ray://[::1]:10001", "client", "[::1]", 10001),
    ],
)
def test_addresses_parse(text: str, kind: str, host: str | None, port: int | None) -> None:
    address = parse_address(text)
    assert (address.kind, address.host, address.port) == (kind, host, port)


@given(st.text(max_size=30))
def test_anything_else_is_a_one_line_address_error(text: str) -> None:
    error: ClusterAddressError | None = None
    try:
        address = parse_address(text)
    except ClusterAddressError as exc:
        error = exc
    if error is not None:
        assert error.exit_code == 2
        assert "\n" not in str(error)
    else:
        assert address.kind in ("local", "auto", "client", "gcs")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("ray://head", "ray://HOST:PORT"),
        ("http://head:1", "ray://HOST:PORT"),
        ("ray://:10001", "ray://HOST:PORT"),
        ("head:99999", "port 99999 is not 1-65535"),
    ],
)
def test_malformed_addresses_are_refused_before_connecting(text: str, says: str) -> None:
    with pytest.raises(ClusterAddressError, match=says):
        connect(address=text)


@pytest.mark.parametrize("scheme", ["ray://", ""])
def test_an_address_nobody_answers_is_exit_7_within_the_timeout(scheme: str) -> None:
    started = time.monotonic()
    with pytest.raises(ClusterError, match="cannot reach the Ray cluster") as caught:
        connect(address=f"{scheme}127.0.0.1:{free_port()}", connect_timeout=2)
    assert caught.value.exit_code == 7
    assert "\n" not in str(caught.value)
    assert time.monotonic() - started < 10


def test_a_worker_with_other_faceswap_versions_refuses_the_job(
    ray_head: dict[str, str], source_path: Path, faces_dir: Path, tmp_path: Path
) -> None:
    """Workers see another faceswap-core (an older install's metadata first on their path)."""
    site = tmp_path / "older-site"
    info = site / "faceswap_core-0.0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: faceswap-core\nVersion: 0.0.1\n")
    assert versions_of(())["faceswap-core"] != "0.0.1"
    env = {"env_vars": {"PYTHONPATH": str(site)}}
    plan = plan_batch([faces_dir], tmp_path / "out", inputs=[source_path])
    prepare_output_folder(plan)
    with (
        connect(address=ray_head["gcs"], workers=1, runtime_env=env) as runner,
        pytest.raises(WorkerMismatchError, match=r"faceswap-core 0\.0\.1 \(driver: ") as caught,
    ):
        list(swap_batch(runner, plan, source_path, plugins=get_plugins()))
    assert caught.value.exit_code == 7
    assert "\n" not in str(caught.value)
    assert not any((tmp_path / "out").iterdir())  # refused before any output
