"""The runner: hooks, best + last K retention, pointer after checkpoint, early stop, resume."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from faceswap_core import errors
from faceswap_core.errors import ConfigError, InputError
from faceswap_core.experiment.jsonlog import JsonFormatter, JsonLogger, error_code, read_jsonl
from faceswap_core.experiment.loop import (
    POINTER_NAME,
    BaseLoopHook,
    CheckpointPolicy,
    EarlyStopping,
    TrainingLoop,
    improved,
    read_pointer,
)


class Model:
    """A stand-in training state: a counter the checkpoints save and restore."""

    def __init__(self) -> None:
        self.updates = 0

    def step(self, step: int) -> dict[str, float]:
        self.updates += 1
        return {"loss": 1.0 / step}

    def save(self, path: Path, step: int) -> None:
        path.write_text(json.dumps({"updates": self.updates, "step": step}))

    def load(self, path: Path) -> None:
        self.updates = json.loads(path.read_text())["updates"]


def losses(values: Mapping[int, float]) -> Callable[[int], dict[str, float]]:
    return lambda step: {"val_loss": values[step]}


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_keeps_best_plus_last_k(tmp_path: Path) -> None:
    model = Model()
    val = {1: 5.0, 2: 1.0, 3: 4.0, 4: 3.0, 5: 6.0, 6: 7.0}
    runner = TrainingLoop(
        model.step,
        max_steps=6,
        eval_fn=losses(val),
        eval_every=1,
        save_fn=model.save,
        checkpoint_dir=tmp_path,
        checkpoint=CheckpointPolicy(every=1, keep_last=2, best_metric="val_loss", mode="min"),
    )
    result = runner.run()
    assert names(tmp_path) == [
        POINTER_NAME,
        "step-00000002.ckpt",
        "step-00000005.ckpt",
        "step-00000006.ckpt",
    ]
    assert result.best_step == 2
    assert result.best_value == 1.0
    assert result.best_checkpoint == tmp_path / "step-00000002.ckpt"
    assert result.last_checkpoint == tmp_path / "step-00000006.ckpt"
    assert read_pointer(tmp_path)["checkpoint"] == "step-00000006.ckpt"  # type: ignore[index]


def test_max_mode_and_save_on_best_only(tmp_path: Path) -> None:
    model = Model()
    acc = {2: 0.5, 4: 0.9, 6: 0.7}
    runner = TrainingLoop(
        model.step,
        max_steps=6,
        eval_fn=lambda s: {"acc": acc[s]},
        eval_every=2,
        save_fn=model.save,
        checkpoint_dir=tmp_path,
        checkpoint=CheckpointPolicy(every=0, keep_last=1, best_metric="acc", mode="max"),
    )
    result = runner.run()
    # Saved on new bests (2, 4) and at the end (6); keep_last=1 plus the best.
    assert names(tmp_path) == [POINTER_NAME, "step-00000004.ckpt", "step-00000006.ckpt"]
    assert result.best_step == 4


def test_pointer_is_written_only_after_the_checkpoint_is_complete(tmp_path: Path) -> None:
    model = Model()
    seen: list[tuple[int, str | None, bool]] = []

    def save(path: Path, step: int) -> None:
        pointer = read_pointer(tmp_path)
        seen.append((step, pointer["checkpoint"] if pointer else None, path.name.startswith(".")))
        if step == 3:
            path.write_text("partial")
            raise OSError("disk full")
        model.save(path, step)

    runner = TrainingLoop(
        model.step,
        max_steps=4,
        save_fn=save,
        checkpoint_dir=tmp_path,
        checkpoint=CheckpointPolicy(every=1, keep_last=5),
    )
    with pytest.raises(OSError, match="disk full"):
        runner.run()
    # While step N was being written, the pointer still named step N-1, and the
    # callback wrote a hidden temporary name.
    assert seen == [
        (1, None, True),
        (2, "step-00000001.ckpt", True),
        (3, "step-00000002.ckpt", True),
    ]
    assert read_pointer(tmp_path)["checkpoint"] == "step-00000002.ckpt"  # type: ignore[index]
    assert names(tmp_path) == [POINTER_NAME, "step-00000001.ckpt", "step-00000002.ckpt"]


def test_early_stopping_with_patience_and_min_delta(tmp_path: Path) -> None:
    val = {1: 1.0, 2: 0.95, 3: 0.96, 4: 0.949, 5: 0.5, 6: 0.1}
    stops: list[int] = []

    class Record(BaseLoopHook):
        def on_early_stop(self, runner: TrainingLoop, step: int, reason: str) -> None:
            stops.append(step)

    model = Model()
    runner = TrainingLoop(
        model.step,
        max_steps=6,
        eval_fn=losses(val),
        eval_every=1,
        early_stopping=EarlyStopping(metric="val_loss", patience=2, mode="min", min_delta=0.01),
        hooks=[Record()],
        save_fn=model.save,
        checkpoint_dir=tmp_path,
    )
    result = runner.run()
    # 0.95 improves on 1.0 by > 0.01; 0.96 and 0.949 do not: stop after step 4.
    assert result.stopped_early
    assert result.last_step == 4
    assert stops == [4]
    assert model.updates == 4
    assert "val_loss did not improve" in (result.stop_reason or "")
    assert read_pointer(tmp_path)["step"] == 4  # type: ignore[index]


def test_resume_continues_from_the_pointer_with_state(tmp_path: Path) -> None:
    val = {2: 3.0, 4: 1.0, 6: 2.0, 8: 0.5}
    log = tmp_path / "run.jsonl"

    class Crash(BaseLoopHook):
        def after_checkpoint(self, runner: TrainingLoop, step: int, path: Path) -> None:
            if step == 4:
                raise KeyboardInterrupt

    first = Model()
    policy = CheckpointPolicy(every=2, keep_last=1, best_metric="val_loss")
    runner = TrainingLoop(
        first.step,
        max_steps=8,
        eval_fn=losses(val),
        eval_every=2,
        save_fn=first.save,
        checkpoint_dir=tmp_path / "ckpt",
        checkpoint=policy,
        hooks=[Crash()],
    )
    with pytest.raises(KeyboardInterrupt):
        runner.run()

    second = Model()
    steps: list[int] = []

    def step(n: int) -> dict[str, float]:
        steps.append(n)
        return second.step(n)

    with JsonLogger(log) as logger:
        resumed = TrainingLoop(
            step,
            max_steps=8,
            eval_fn=losses(val),
            eval_every=2,
            save_fn=second.save,
            load_fn=second.load,
            checkpoint_dir=tmp_path / "ckpt",
            checkpoint=policy,
            logger=logger,
        )
        result = resumed.run(resume=True)
    assert steps == [5, 6, 7, 8]
    assert second.updates == 8  # 4 restored + 4 new
    assert result.best_step == 8
    assert names(tmp_path / "ckpt") == [POINTER_NAME, "step-00000008.ckpt"]
    events = [r["event"] for r in read_jsonl(log)]
    assert events[0] == "resume"
    assert events[-1] == "run_end"


def test_resume_keeps_the_restored_best_checkpoint(tmp_path: Path) -> None:
    val = {1: 0.1, 2: 5.0, 3: 6.0, 4: 7.0}
    model = Model()
    policy = CheckpointPolicy(every=1, keep_last=1, best_metric="val_loss")
    args = {"eval_fn": losses(val), "eval_every": 1, "save_fn": model.save, "load_fn": model.load}
    TrainingLoop(model.step, max_steps=2, checkpoint_dir=tmp_path, checkpoint=policy, **args).run()  # type: ignore[arg-type]
    result = TrainingLoop(
        model.step,
        max_steps=4,
        checkpoint_dir=tmp_path,
        checkpoint=policy,
        **args,  # type: ignore[arg-type]
    ).run(resume=True)
    assert result.best_step == 1
    assert names(tmp_path) == [POINTER_NAME, "step-00000001.ckpt", "step-00000004.ckpt"]


def test_resume_without_pointer_starts_fresh_and_missing_checkpoint_is_an_error(
    tmp_path: Path,
) -> None:
    model = Model()
    runner = TrainingLoop(model.step, max_steps=2, save_fn=model.save, checkpoint_dir=tmp_path)
    assert runner.run(resume=True).last_step == 2
    (tmp_path / "step-00000002.ckpt").unlink()
    with pytest.raises(InputError, match="is missing"):
        TrainingLoop(model.step, max_steps=3, save_fn=model.save, checkpoint_dir=tmp_path).run(
            resume=True
        )


def test_hooks_are_called_in_order_and_can_stop(tmp_path: Path) -> None:
    calls: list[str] = []

    class Trace(BaseLoopHook):
        def before_run(self, runner: TrainingLoop) -> None:
            calls.append("before_run")

        def before_step(self, runner: TrainingLoop, step: int) -> None:
            calls.append(f"before_step {step}")

        def after_step(self, runner: TrainingLoop, step: int, metrics: Mapping[str, float]) -> None:
            calls.append(f"after_step {step}")
            if step == 2:
                runner.stop("enough")

        def after_eval(self, runner: TrainingLoop, step: int, metrics: Mapping[str, float]) -> None:
            calls.append(f"after_eval {step}")

        def after_checkpoint(self, runner: TrainingLoop, step: int, path: Path) -> None:
            calls.append(f"after_checkpoint {step} {path.exists()}")

        def after_run(self, runner: TrainingLoop, result: object) -> None:
            calls.append("after_run")

    model = Model()
    TrainingLoop(
        model.step,
        max_steps=5,
        eval_fn=lambda s: {"x": 0.0},
        eval_every=1,
        save_fn=model.save,
        checkpoint_dir=tmp_path,
        hooks=[Trace()],
    ).run()
    assert calls == [
        "before_run",
        "before_step 1", "after_step 1", "after_eval 1",
        "before_step 2", "after_step 2", "after_eval 2", "after_checkpoint 2 True",
        "after_run",
    ]  # fmt: skip


def test_missing_metric_and_bad_setup_are_config_errors(tmp_path: Path) -> None:
    model = Model()
    with pytest.raises(ConfigError, match="no metric 'val_loss'"):
        TrainingLoop(
            model.step,
            max_steps=1,
            eval_fn=lambda s: {"loss": 1.0},
            eval_every=1,
            early_stopping=EarlyStopping(metric="val_loss"),
        ).run()
    with pytest.raises(ConfigError, match="needs an eval_fn"):
        TrainingLoop(model.step, max_steps=1, early_stopping=EarlyStopping(metric="x"))
    with pytest.raises(ConfigError, match="checkpoint_dir"):
        TrainingLoop(model.step, max_steps=1, save_fn=model.save)
    with pytest.raises(ValueError, match="must be positive, got 0") as info:
        CheckpointPolicy(keep_last=0)
    assert getattr(info.value, "field", None) == "keep_last"


@pytest.mark.parametrize(
    ("value", "best", "mode", "delta", "expected"),
    [
        (1.0, None, "min", 0.0, True),
        (0.9, 1.0, "min", 0.0, True),
        (0.95, 1.0, "min", 0.1, False),
        (1.2, 1.0, "max", 0.1, True),
        (1.05, 1.0, "max", 0.1, False),
        (float("nan"), None, "min", 0.0, False),
    ],
)
def test_improved(
    value: float, best: float | None, mode: str, delta: float, expected: bool
) -> None:
    assert improved(value, best, mode, delta) is expected  # type: ignore[arg-type]


# -- structured logging (faceswap_core.experiment.jsonlog) ----------------------------------


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (errors.ConfigError("x"), "FS-CONFIG"),
        (errors.MissingPluginError("x"), "FS-PLUGIN"),
        (errors.UnknownComponentError("detector", "x", []), "FS-PLUGIN"),
        (errors.InvalidImageError("x"), "FS-INPUT"),
        (errors.InputError("x"), "FS-INPUT"),
        (errors.NoFaceError("x"), "FS-NOFACE"),
        (errors.ModelFileError("x"), "FS-MODEL"),
        (errors.FaceswapError("x"), "FS-ERROR"),
        (ZeroDivisionError("x"), "FS-INTERNAL"),
    ],
)
def test_error_codes_follow_the_exception_class(exc: BaseException, code: str) -> None:
    assert error_code(exc) == code


def test_json_logger_writes_one_parseable_record_per_line(tmp_path: Path) -> None:
    import numpy as np

    path = tmp_path / "logs" / "run.jsonl"
    with JsonLogger(path, context={"run": "r1"}, clock=lambda: "T") as logger:
        logger.info(
            "step", step=np.int64(3), loss=np.float32(0.5), where=tmp_path, bad=float("nan")
        )
        logger.bind(stage="eval").exception("failed", errors.NoFaceError("no face in a.jpg"))
    first, second = read_jsonl(path)
    assert list(first)[:3] == ["time", "level", "event"]
    assert first == {
        "time": "T", "level": "info", "event": "step", "run": "r1",
        "step": 3, "loss": 0.5, "where": str(tmp_path), "bad": "nan",
    }  # fmt: skip
    assert second["code"] == "FS-NOFACE"
    assert second["level"] == "error"
    assert second["stage"] == "eval"
    assert second["error"] == "no face in a.jpg"


def test_a_truncated_last_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text('{"time": "T", "level": "info", "event": "a"}\n{"time": "T", "lev')
    assert [r["event"] for r in read_jsonl(path)] == ["a"]


def test_stdlib_records_get_the_same_shape() -> None:
    formatter = JsonFormatter()
    try:
        raise errors.ModelFileError("model file missing: x.onnx")
    except errors.ModelFileError:
        import sys

        record = logging.LogRecord(
            "faceswap", logging.ERROR, "f", 1, "load %s", ("x",), sys.exc_info()
        )
    record.step = 7
    data = json.loads(formatter.format(record))
    assert (data["level"], data["event"], data["message"]) == ("error", "faceswap", "load x")
    assert (data["code"], data["step"]) == ("FS-MODEL", 7)


def test_eval_at_end_evaluates_the_last_step_off_the_interval(tmp_path: Path) -> None:
    model = Model()
    seen: list[int] = []

    def evaluate(step: int) -> dict[str, float]:
        seen.append(step)
        return {"val_loss": 1.0 / step}

    TrainingLoop(model.step, max_steps=7, eval_fn=evaluate, eval_every=3, eval_at_end=True).run()
    assert seen == [3, 6, 7]
    seen.clear()
    TrainingLoop(model.step, max_steps=7, eval_fn=evaluate, eval_every=3).run()
    assert seen == [3, 6]


def test_derived_seeds_are_stable_and_distinct() -> None:
    from faceswap_core.experiment.seeding import derive_seed

    streams = {derive_seed(3, step, rank) for step in range(50) for rank in range(4)}
    assert len(streams) == 200
    assert derive_seed(3, 7, 1) == derive_seed(3, 7, 1)
    assert derive_seed(3, 7, 1) != derive_seed(4, 7, 1)
    assert all(0 <= s < 2**32 for s in streams)
    with pytest.raises(ConfigError, match="non-negative ints"):
        derive_seed(3, -1)
    with pytest.raises(ConfigError):
        derive_seed(True)
