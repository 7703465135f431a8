"""The local work runner and FileBytes: the same answers as reading and swapping in place."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap_core.errors import FaceswapError
from faceswap_core.interfaces import WorkRunner
from faceswap_core.io.decode import decode
from faceswap_core.io.read import FileBytes, read_file_bytes
from faceswap_core.pipeline.batch import (
    BatchSummary,
    SwapOptions,
    plan_batch,
    prepare_output_folder,
    run_batch,
    swap_batch,
)
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.pipeline.runner import LocalRunner
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.tools.samples import load_sample, sample_path


def _error(source: object) -> str:
    try:
        decode(source, name="target")
    except FaceswapError as exc:
        return f"{type(exc).__name__}: {exc}"
    raise AssertionError("decoded")


@pytest.mark.parametrize("content", [None, b"", b"\x89PNG\r\n\x1a\n truncated", b"plain text"])
def test_file_bytes_fail_where_and_as_the_path_would(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "x.png"
    if content is not None:
        path.write_bytes(content)
    shipped = read_file_bytes(path, "target", 1 << 20)
    assert isinstance(shipped, FileBytes)
    assert _error(shipped) == _error(path)
    assert str(path) in _error(shipped)


def test_file_bytes_decode_to_the_same_pixels(tmp_path: Path) -> None:
    path = sample_path("tom_hanks")
    np.testing.assert_array_equal(decode(read_file_bytes(path, "source", 1 << 24)), decode(path))


def test_the_local_runner_gives_run_batch_files_and_records(
    tmp_path: Path, fresh_plugins: FaceswapPlugins
) -> None:
    targets = tmp_path / "targets"
    targets.mkdir()
    astronaut = load_sample("astronaut")[0:300, 100:400]
    for index, crop in enumerate((astronaut, astronaut[:, ::-1])):
        small = cv2.resize(np.ascontiguousarray(crop), (128, 128), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(targets / f"t{index}.jpg"), cv2.cvtColor(small, cv2.COLOR_RGB2BGR))
    (targets / "bad.jpg").write_bytes(b"not an image")
    source = sample_path("tom_hanks")
    runner = LocalRunner()
    assert isinstance(runner, WorkRunner)
    assert "local" in fresh_plugins.runners()

    plan = plan_batch([targets], tmp_path / "a", inputs=[source])
    prepare_output_folder(plan)
    pipeline = Pipeline(None, fresh_plugins)
    expected = list(run_batch(pipeline, pipeline.prepare_source(source), plan, model="classic"))

    plan = plan_batch([targets], tmp_path / "b", inputs=[source])
    prepare_output_folder(plan)
    run = swap_batch(runner, plan, source, options=SwapOptions(model="classic"))
    records = list(run)
    assert [(r.status, r.error, Path(r.output).name) for r in records] == [
        (r.status, r.error, Path(r.output).name) for r in expected
    ]
    assert run.summary == BatchSummary(done=2, failed=1, exit_code=3)
    for name in ("t0.png", "t1.png"):
        np.testing.assert_array_equal(decode(tmp_path / "b" / name), decode(tmp_path / "a" / name))
