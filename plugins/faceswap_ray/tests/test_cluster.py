"""Addresses, unreachable clusters and workers unlike their driver, on a real cluster."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceswap_core.errors import (
    ClusterAddressError,
    ClusterError,
    ConfigError,
    WorkerMismatchError,
)
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


def test_the_ray_runner_is_built_from_the_registry_like_any_component(
    ray_head: dict[str, str],
) -> None:
    from faceswap_core.interfaces import WorkRunner
    from faceswap_core.pipeline.context import build_context
    from faceswap_core.plugin.kinds import RUNNER

    plugins = get_plugins()
    owners = {component.name: component.plugin for component in plugins.runners()}
    assert owners["ray"] == "faceswap-ray"
    assert owners["local"] == "faceswap-core"
    ref = {"type": "ray", "address": ray_head["gcs"], "workers": 2}
    runner = plugins.build(RUNNER, ref, context=build_context(plugins))
    assert isinstance(runner, WorkRunner)
    assert (runner.name, runner.workers, runner.retries) == ("ray", 2, 0)
    with pytest.raises(ConfigError, match="gpus_per_worker"):
        plugins.build(
            RUNNER, {**ref, "gpus_per_worker": float("nan")}, context=build_context(plugins)
        )


CLIENT_DRIVER = """
import json, sys
from faceswap_core.pipeline.batch import SwapOptions, plan_batch, prepare_output_folder, swap_batch
from faceswap_core.plugin.manager import get_plugins
from faceswap_ray.runner import connect

address, source, targets, out = sys.argv[1:]
plan = plan_batch([targets], out, inputs=[source])
prepare_output_folder(plan)
with connect(address=address, workers=1, batch_size=2) as runner:
    run = swap_batch(runner, plan, source, options=SwapOptions(model="classic"),
                     plugins=get_plugins())
    statuses = [record.status for record in run]
print(json.dumps({"statuses": statuses, "summary": run.summary.to_dict()}))
"""


def test_a_driver_on_another_machine_joins_through_the_ray_client(
    ray_head: dict[str, str], source_path: Path, faces_dir: Path, tmp_path: Path
) -> None:
    """``ray://`` from a separate process (a laptop, say): the same batch, written locally."""
    import json
    import os
    import subprocess
    import sys

    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            CLIENT_DRIVER,
            ray_head["client"],
            str(source_path),
            str(faces_dir),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "RAY_AUTH_MODE": "disabled"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["statuses"] == ["failed", "done", "done", "done", "done"]
    assert report["summary"]["done"] == 4
    assert sorted(path.name for path in out.iterdir()) == [f"face{i}.png" for i in range(4)]


def test_auto_joins_the_cluster_running_on_this_machine(ray_head: dict[str, str]) -> None:
    """A fresh process (this one is connected already) finds the head ``ray start`` began."""
    import os
    import subprocess
    import sys

    script = (
        "import ray\n"
        "from faceswap_ray.runner import connect\n"
        "runner = connect(address='auto')\n"
        "print(runner.address.kind, ray.get_runtime_context().gcs_address)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    kind, gcs = result.stdout.strip().splitlines()[-1].split()
    assert kind == "auto"
    assert gcs.rpartition(":")[2] == ray_head["gcs"].rpartition(":")[2]
