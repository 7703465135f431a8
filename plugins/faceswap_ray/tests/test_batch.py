"""Batches on a real Ray cluster give the local runner's files, records and refusals."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
import ray.cloudpickle

from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import ConfigError, NoFaceError
from faceswap_core.interfaces.jobs import Work
from faceswap_core.io.atomic import TEMP_MARKER
from faceswap_core.io.decode import decode
from faceswap_core.pipeline.batch import (
    BatchRecord,
    BatchRun,
    BatchSummary,
    SwapOptions,
    plan_batch,
    prepare_output_folder,
    run_batch,
    swap_batch,
)
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.plugin.manager import get_plugins
from faceswap_ray.runner import RayRunner, connect


@pytest.fixture(scope="module")
def runner(ray_head: dict[str, str]) -> Iterator[RayRunner]:
    with connect(address=ray_head["gcs"], workers=2, batch_size=1) as ray_runner:
        yield ray_runner


def _comparable(record: BatchRecord) -> dict[str, Any]:
    data = record.to_dict()
    data.pop("timings_ms", None)
    return data


def _local(source: Path, targets: Path, out: Path) -> tuple[list[BatchRecord], BatchSummary]:
    plan = plan_batch([targets], out, inputs=[source])
    prepare_output_folder(plan)
    pipeline = Pipeline(PipelineConfig(), get_plugins())
    identity = pipeline.prepare_source(source)
    summary = BatchSummary()
    records = []
    for record in run_batch(pipeline, identity, plan, model="classic"):
        records.append(record)
        summary = summary.add(record)
    return records, summary


def _on_cluster(
    runner: RayRunner, source: Path, targets: Path, out: Path, **plan_options: Any
) -> BatchRun:
    plan = plan_batch([targets], out, inputs=[source], **plan_options)
    prepare_output_folder(plan)
    return swap_batch(
        runner, plan, source, options=SwapOptions(model="classic"), plugins=get_plugins()
    )


def _pixels(folder: Path) -> dict[str, np.ndarray]:
    return {path.name: decode(path) for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def local_run(
    tmp_path_factory: pytest.TempPathFactory, source_path: Path, faces_dir: Path
) -> tuple[Path, list[BatchRecord], BatchSummary]:
    out = tmp_path_factory.mktemp("local") / "out"
    records, summary = _local(source_path, faces_dir, out)
    return out, records, summary


def test_a_cluster_batch_writes_the_local_files_records_and_summary(
    runner: RayRunner,
    local_run: tuple[Path, list[BatchRecord], BatchSummary],
    source_path: Path,
    faces_dir: Path,
    tmp_path: Path,
) -> None:
    local_out, local_records, local_summary = local_run
    out = tmp_path / "out"
    run = _on_cluster(runner, source_path, faces_dir, out)
    records = list(run)
    assert [_comparable(r) for r in records] == [
        _comparable(r).copy() | {"output": str(out / Path(r.output).name)} for r in local_records
    ]
    assert run.summary == attrs.evolve(local_summary, not_run=0)
    assert run.summary.failed == 1
    assert run.summary.exit_code == 3
    local_pixels, pixels = _pixels(local_out), _pixels(out)
    assert sorted(pixels) == sorted(local_pixels)
    assert len(pixels) == 4
    for name, image in pixels.items():
        np.testing.assert_array_equal(image, local_pixels[name], err_msg=name)


def test_a_rerun_refuses_existing_outputs_and_resumes_with_skip_existing(
    runner: RayRunner, source_path: Path, faces_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    plan = plan_batch([faces_dir], out, inputs=[source_path])
    prepare_output_folder(plan)
    first = plan.items[1]  # face0.jpg (broken.jpg sorts first)
    kept = b"a result from the killed run"
    first.output.write_bytes(kept)  # what an interrupted batch left
    with pytest.raises(ConfigError, match="already exists"):
        _on_cluster(runner, source_path, faces_dir, out)
    run = _on_cluster(runner, source_path, faces_dir, out, skip_existing=True)
    statuses = [record.status for record in run]
    assert statuses == ["failed", "skipped", "done", "done", "done"]
    assert first.output.read_bytes() == kept
    assert run.summary.skipped == 1
    assert run.summary.not_run == 0


def test_a_source_without_a_face_fails_the_job_with_its_own_error(
    runner: RayRunner, faces_dir: Path, tmp_path: Path
) -> None:
    blank = tmp_path / "blank.png"
    blank.write_bytes(
        __import__("faceswap_core.io.encode", fromlist=["encode"]).encode(
            np.full((96, 96, 3), 128, np.uint8), "png", provenance=False
        )
    )
    with pytest.raises(NoFaceError, match="no face found in the source"):
        list(_on_cluster(runner, blank, faces_dir, tmp_path / "out"))


def test_fail_fast_stops_at_the_first_failure_and_writes_nothing_after_it(
    runner: RayRunner, source_path: Path, faces_dir: Path, tmp_path: Path
) -> None:
    plan = plan_batch([faces_dir], tmp_path / "out", inputs=[source_path])
    prepare_output_folder(plan)
    run = swap_batch(runner, plan, source_path, plugins=get_plugins(), fail_fast=True)
    assert [record.status for record in run] == ["failed"]  # broken.jpg sorts first
    assert run.summary == BatchSummary(failed=1, not_run=4, exit_code=3)
    assert not any((tmp_path / "out").iterdir())  # workers swapped ahead; nothing written


@attrs.frozen
class Announcing:
    """The real work (a batch's swaps, a video), but each item first leaves ``<pid>`` in a folder
    and takes a moment."""

    inner: Work[Any, Any]
    folder: str

    @property
    def plugins(self) -> tuple[str, ...] | None:
        return self.inner.plugins

    def start(self) -> Callable[[Any], Any]:
        run = self.inner.start()

        def announced(task: Any) -> Any:
            (Path(self.folder) / str(os.getpid())).touch()
            time.sleep(1.0)
            return run(task)

        return announced


def _kill_first_worker(folder: Path, killed: list[int]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not killed:
        marks = list(folder.iterdir())
        if marks:
            pid = int(marks[0].name)
            os.kill(pid, signal.SIGKILL)  # mid-item: it sleeps inside the swap
            killed.append(pid)
            return
        time.sleep(0.05)


def test_a_worker_killed_mid_batch_costs_a_retry_and_no_output(
    runner: RayRunner,
    local_run: tuple[Path, list[BatchRecord], BatchSummary],
    source_path: Path,
    faces_dir: Path,
    tmp_path: Path,
) -> None:
    ray.cloudpickle.register_pickle_by_value(__import__(__name__))
    marks = tmp_path / "marks"
    marks.mkdir()
    out = tmp_path / "out"
    run = _on_cluster(runner, source_path, faces_dir, out)
    run.work = Announcing(run.work, str(marks))  # type: ignore[assignment]
    killed: list[int] = []
    killer = threading.Thread(target=_kill_first_worker, args=(marks, killed))
    killer.start()
    records = list(run)
    killer.join()
    assert killed, "no worker announced an item"
    assert [r.status for r in records] == [r.status for r in local_run[1]]
    assert run.summary.retries >= 1
    assert run.summary.done == 4
    assert run.summary.failed == 1
    local_pixels, pixels = _pixels(local_run[0]), _pixels(out)
    assert sorted(pixels) == sorted(local_pixels)  # every output once, no temp file
    assert not [name for name in pixels if TEMP_MARKER in name]
    for name, image in pixels.items():
        np.testing.assert_array_equal(image, local_pixels[name], err_msg=name)
