"""What a training run does around core's loop: metrics files, progress, TensorBoard.

Each is a :class:`~faceswap_core.experiment.loop.BaseLoopHook`; the session
adds the ones its config asks for (``train.hooks``), on rank 0 only.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from faceswap_core.experiment.jsonlog import JsonLogger
from faceswap_core.experiment.loop import BaseLoopHook, LoopResult, TrainingLoop
from faceswap_core.experiment.metrics import MetricsLog
from faceswap_unet.configs import TrainConfig


def console_logger(config: TrainConfig) -> JsonLogger | None:
    """JSON lines on stderr when no progress bar is drawn."""
    bar = config.progress == "bar" or (config.progress == "auto" and sys.stderr.isatty())
    return None if bar else JsonLogger(sys.stderr, min_level="info")


class MetricsHook(BaseLoopHook):
    """Writes train metrics every ``log_every`` steps and every eval to metrics.jsonl / csv."""

    def __init__(self, log: MetricsLog, every: int) -> None:
        self.metrics = log
        self.every = every

    def before_run(self, loop: TrainingLoop) -> None:
        self.metrics.truncate_after(loop.state.step)

    def after_step(self, loop: TrainingLoop, step: int, metrics: Mapping[str, float]) -> None:
        if step % self.every == 0 or step == loop.max_steps:
            self.metrics.append(step, "train", metrics)

    def after_eval(self, loop: TrainingLoop, step: int, metrics: Mapping[str, float]) -> None:
        self.metrics.append(step, "val", {k.split("/", 1)[1]: v for k, v in metrics.items()})
        self.metrics.write_csv()


class ProgressHook(BaseLoopHook):
    """A tqdm bar (steps, loss, it/s, ETA) on a terminal; JSON lines on stderr otherwise."""

    def __init__(self, console: JsonLogger | None, config: TrainConfig) -> None:
        self.console = console
        self.every = config.log_every
        self.bar: Any = None
        self.started = time.perf_counter()
        self.first_step = 0

    def before_run(self, loop: TrainingLoop) -> None:
        self.started = time.perf_counter()
        self.first_step = loop.state.step
        if self.console is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=loop.max_steps,
                initial=loop.state.step,
                desc="train",
                unit="step",
                file=sys.stderr,
            )

    def after_step(self, loop: TrainingLoop, step: int, metrics: Mapping[str, float]) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{metrics.get('loss_total', float('nan')):.4f}")
        elif self.console is not None and (step % self.every == 0 or step == loop.max_steps):
            elapsed = time.perf_counter() - self.started
            rate = (step - self.first_step) / elapsed if elapsed > 0 else 0.0
            eta = (loop.max_steps - step) / rate if rate > 0 else None
            self.console.info(
                "step",
                step=step,
                max_steps=loop.max_steps,
                it_per_s=round(rate, 3),
                eta_s=None if eta is None else round(eta, 1),
                **metrics,
            )

    def after_eval(self, loop: TrainingLoop, step: int, metrics: Mapping[str, float]) -> None:
        if self.console is not None:
            self.console.info("eval", step=step, **metrics)

    def after_run(self, loop: TrainingLoop, result: LoopResult) -> None:
        if self.bar is not None:
            self.bar.close()


class TensorBoardHook(BaseLoopHook):
    """Scalars to TensorBoard event files, when the tensorboard package is installed."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer

    @classmethod
    def create(cls, folder: Path) -> TensorBoardHook | None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            return None
        return cls(SummaryWriter(log_dir=str(folder)))

    def after_step(self, loop: TrainingLoop, step: int, metrics: Mapping[str, float]) -> None:
        for name, value in metrics.items():
            self.writer.add_scalar(f"train/{name}", value, step)

    def after_eval(self, loop: TrainingLoop, step: int, metrics: Mapping[str, float]) -> None:
        for name, value in metrics.items():
            if math.isfinite(value):
                self.writer.add_scalar(name, value, step)

    def after_run(self, loop: TrainingLoop, result: LoopResult) -> None:
        self.writer.close()


__all__ = ["MetricsHook", "ProgressHook", "TensorBoardHook", "console_logger"]
