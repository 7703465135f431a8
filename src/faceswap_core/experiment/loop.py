"""A framework-agnostic training loop with hooks, checkpoint retention and early stopping.

The loop knows nothing about torch: it calls a step function, an optional
eval function and a save callback that writes a checkpoint to a path. What it
owns is the bookkeeping that is easy to get wrong: checkpoints are written to
a temporary name and renamed only when complete, the ``last_checkpoint``
pointer is replaced atomically only after that, retention keeps the best
checkpoint plus the last K, and a resumed run continues exactly where the
pointer says, with its best value and early-stopping patience restored.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, Protocol

import attrs

from faceswap_core.config.ranges import at_least
from faceswap_core.errors import ConfigError, InputError
from faceswap_core.experiment.jsonlog import JsonLogger
from faceswap_core.io.atomic import atomic_path, atomic_write_json, remove_stale_temps

POINTER_NAME = "last_checkpoint"
Mode = Literal["min", "max"]
Metrics = Mapping[str, float]
StepFn = Callable[[int], Metrics | None]
EvalFn = Callable[[int], Metrics]
SaveFn = Callable[[Path, int], None]
LoadFn = Callable[[Path], None]


@attrs.frozen
class CheckpointPolicy:
    """When to save and what to keep.

    :ivar every: save every N steps; 0 saves only on a new best and at the end.
    :ivar keep_last: how many of the most recent checkpoints to keep (at least 1).
    :ivar best_metric: eval metric that picks the best checkpoint, kept beyond ``keep_last``.
    :ivar mode: ``min`` when lower ``best_metric`` is better, ``max`` otherwise.
    :ivar save_last: save when the run ends (normally or by early stopping).
    :ivar suffix: file suffix of checkpoint names (``step-00000100.ckpt``).
    """

    every: int = attrs.field(default=0, validator=at_least(0))
    keep_last: int = attrs.field(default=3, validator=at_least(1))
    best_metric: str | None = None
    mode: Mode = "min"
    save_last: bool = True
    suffix: str = ".ckpt"


@attrs.frozen
class EarlyStopping:
    """Stop when ``metric`` has not improved by more than ``min_delta`` for ``patience`` evals."""

    metric: str
    patience: int = attrs.field(default=5, validator=at_least(1))
    mode: Mode = "min"
    min_delta: float = attrs.field(default=0.0, validator=at_least(0))


def improved(value: float, best: float | None, mode: Mode, min_delta: float = 0.0) -> bool:
    """Whether ``value`` beats ``best`` by more than ``min_delta`` (NaN never does)."""
    if not math.isfinite(value):
        return False
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


class LoopHook(Protocol):
    """Callbacks the runner calls; subclass :class:`BaseLoopHook` and override what you need."""

    def before_run(self, loop: TrainingLoop) -> None: ...
    def before_step(self, loop: TrainingLoop, step: int) -> None: ...
    def after_step(self, loop: TrainingLoop, step: int, metrics: Metrics) -> None: ...
    def after_eval(self, loop: TrainingLoop, step: int, metrics: Metrics) -> None: ...
    def after_checkpoint(self, loop: TrainingLoop, step: int, path: Path) -> None: ...
    def on_early_stop(self, loop: TrainingLoop, step: int, reason: str) -> None: ...
    def after_run(self, loop: TrainingLoop, result: LoopResult) -> None: ...


class BaseLoopHook:
    """No-op implementations of every :class:`LoopHook` method."""

    def before_run(self, loop: TrainingLoop) -> None:
        return None

    def before_step(self, loop: TrainingLoop, step: int) -> None:
        return None

    def after_step(self, loop: TrainingLoop, step: int, metrics: Metrics) -> None:
        return None

    def after_eval(self, loop: TrainingLoop, step: int, metrics: Metrics) -> None:
        return None

    def after_checkpoint(self, loop: TrainingLoop, step: int, path: Path) -> None:
        return None

    def on_early_stop(self, loop: TrainingLoop, step: int, reason: str) -> None:
        return None

    def after_run(self, loop: TrainingLoop, result: LoopResult) -> None:
        return None


@attrs.define
class LoopState:
    """What a resumed run needs besides the model: stored in the ``last_checkpoint`` pointer."""

    step: int = 0
    best_value: float | None = None
    best_step: int | None = None
    best_checkpoint: str | None = None
    stop_best: float | None = None
    stop_bad_evals: int = 0
    checkpoints: list[str] = attrs.Factory(list)


@attrs.frozen
class LoopResult:
    last_step: int
    stopped_early: bool
    stop_reason: str | None
    best_step: int | None
    best_value: float | None
    best_checkpoint: Path | None
    last_checkpoint: Path | None
    checkpoints: list[Path]


def read_pointer(checkpoint_dir: str | Path) -> dict[str, Any] | None:
    """The ``last_checkpoint`` pointer of a folder, or ``None`` when there is none yet."""
    pointer = Path(checkpoint_dir) / POINTER_NAME
    if not pointer.exists():
        return None
    try:
        data = json.loads(pointer.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read checkpoint pointer {pointer}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("checkpoint"), str):
        raise InputError(f"checkpoint pointer {pointer} has no 'checkpoint' entry; delete it")
    return data


class TrainingLoop:
    """Run ``step_fn`` for ``max_steps`` steps with eval, checkpoints, early stopping and hooks.

    :param step_fn: ``step_fn(step) -> metrics`` for steps ``1..max_steps``.
    :param eval_fn: ``eval_fn(step) -> metrics`` every ``eval_every`` steps.
    :param save_fn: ``save_fn(path, step)`` writes a checkpoint (file or folder) at ``path``.
    :param load_fn: ``load_fn(path)`` restores one on ``run(resume=True)``.
    :param eval_at_end: also evaluate at ``max_steps`` when it is not a multiple of
        ``eval_every``, so a run always ends with validation metrics.
    """

    def __init__(
        self,
        step_fn: StepFn,
        *,
        max_steps: int,
        eval_fn: EvalFn | None = None,
        eval_every: int = 0,
        save_fn: SaveFn | None = None,
        load_fn: LoadFn | None = None,
        checkpoint_dir: str | Path | None = None,
        checkpoint: CheckpointPolicy | None = None,
        early_stopping: EarlyStopping | None = None,
        hooks: Iterable[LoopHook] = (),
        logger: JsonLogger | None = None,
        log_every: int = 1,
        eval_at_end: bool = False,
    ) -> None:
        if max_steps < 0:
            raise ConfigError(f"max_steps must not be negative, got {max_steps}")
        if save_fn is not None and checkpoint_dir is None:
            raise ConfigError("a save_fn needs a checkpoint_dir to write checkpoints to")
        if early_stopping is not None and (eval_fn is None or eval_every < 1):
            raise ConfigError("early stopping needs an eval_fn and eval_every >= 1")
        self.step_fn = step_fn
        self.max_steps = max_steps
        self.eval_fn = eval_fn
        self.eval_every = eval_every
        self.save_fn = save_fn
        self.load_fn = load_fn
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.policy = checkpoint or CheckpointPolicy()
        self.early_stopping = early_stopping
        self.hooks = list(hooks)
        self.logger = logger
        self.log_every = max(1, log_every)
        self.eval_at_end = eval_at_end
        self.state = LoopState()
        self._stop_reason: str | None = None

    # -- control -------------------------------------------------------------

    def stop(self, reason: str) -> None:
        """Ask the loop to stop after the current step (hooks may call this)."""
        self._stop_reason = reason

    @property
    def step(self) -> int:
        return self.state.step

    def _log(self, event: str, **fields: Any) -> None:
        if self.logger is not None:
            self.logger.info(event, **fields)

    # -- the loop ------------------------------------------------------------

    def run(self, *, resume: bool = False) -> LoopResult:
        """Run to ``max_steps`` or an early stop; with ``resume``, continue from the pointer."""
        self._stop_reason = None
        if self.save_fn is not None and self.checkpoint_dir is not None:
            # A killed run (SIGKILL, power loss) leaves half-written checkpoints behind.
            for stale in remove_stale_temps(self.checkpoint_dir):
                self._log("stale_checkpoint_removed", path=stale)
        if resume:
            self._resume()
        for hook in self.hooks:
            hook.before_run(self)
        self._log("run_start", start_step=self.state.step + 1, max_steps=self.max_steps)
        try:
            self._loop()
        except Exception as exc:
            if self.logger is not None:
                self.logger.exception("run_failed", exc, step=self.state.step)
            raise
        result = self._result()
        self._log(
            "run_end",
            last_step=result.last_step,
            stopped_early=result.stopped_early,
            reason=result.stop_reason,
            best_step=result.best_step,
            best_value=result.best_value,
        )
        for hook in self.hooks:
            hook.after_run(self, result)
        return result

    def _loop(self) -> None:
        for step in range(self.state.step + 1, self.max_steps + 1):
            for hook in self.hooks:
                hook.before_step(self, step)
            metrics = dict(self.step_fn(step) or {})
            self.state.step = step
            for hook in self.hooks:
                hook.after_step(self, step, metrics)
            if step % self.log_every == 0:
                self._log("step", step=step, **metrics)
            new_best = False
            periodic_eval = self.eval_every > 0 and step % self.eval_every == 0
            if self.eval_fn is not None and (
                periodic_eval or (self.eval_at_end and step == self.max_steps)
            ):
                new_best = self._evaluate(step)
            final = step == self.max_steps or self._stop_reason is not None
            periodic = self.policy.every > 0 and step % self.policy.every == 0
            if self.save_fn is not None and (
                periodic or new_best or (final and self.policy.save_last)
            ):
                self._checkpoint(step, new_best)
            if self._stop_reason is not None:
                self._log("early_stop", step=step, reason=self._stop_reason)
                for hook in self.hooks:
                    hook.on_early_stop(self, step, self._stop_reason)
                break

    def _evaluate(self, step: int) -> bool:
        assert self.eval_fn is not None
        metrics = dict(self.eval_fn(step))
        for hook in self.hooks:
            hook.after_eval(self, step, metrics)
        self._log("eval", step=step, **metrics)
        new_best = False
        policy = self.policy
        if policy.best_metric is not None:
            value = _metric(metrics, policy.best_metric, step)
            if improved(value, self.state.best_value, policy.mode):
                self.state.best_value, self.state.best_step = value, step
                new_best = True
        stopping = self.early_stopping
        if stopping is not None:
            value = _metric(metrics, stopping.metric, step)
            if improved(value, self.state.stop_best, stopping.mode, stopping.min_delta):
                self.state.stop_best, self.state.stop_bad_evals = value, 0
            else:
                self.state.stop_bad_evals += 1
                if self.state.stop_bad_evals >= stopping.patience:
                    self.stop(
                        f"{stopping.metric} did not improve by more than {stopping.min_delta} "
                        f"for {stopping.patience} evals (best {self.state.stop_best})"
                    )
        return new_best

    # -- checkpoints -------------------------------------------------------------

    def checkpoint_name(self, step: int) -> str:
        return f"step-{step:08d}{self.policy.suffix}"

    def _checkpoint(self, step: int, new_best: bool) -> Path:
        assert self.save_fn is not None
        assert self.checkpoint_dir is not None
        name = self.checkpoint_name(step)
        final = self.checkpoint_dir / name
        # The save callback writes a temporary sibling; only a complete one is renamed.
        with atomic_path(final) as temp:
            self.save_fn(temp, step)
        kept = [n for n in self.state.checkpoints if n != name] + [name]
        self.state.checkpoints = kept
        if new_best:
            self.state.best_checkpoint = name
        keep = set(kept[-self.policy.keep_last :])
        if self.state.best_checkpoint is not None:
            keep.add(self.state.best_checkpoint)
        doomed = [n for n in kept if n not in keep]
        self.state.checkpoints = [n for n in kept if n in keep]
        # The pointer moves only now, after the checkpoint is complete on disk...
        atomic_write_json(
            self.checkpoint_dir / POINTER_NAME,
            {"checkpoint": name, "step": step, "state": attrs.asdict(self.state)},
        )
        # ...and old checkpoints go only after the pointer no longer needs them.
        for old in doomed:
            _remove(self.checkpoint_dir / old)
        self._log("checkpoint", step=step, path=final, best=new_best, removed=doomed)
        for hook in self.hooks:
            hook.after_checkpoint(self, step, final)
        return final

    def _resume(self) -> None:
        if self.checkpoint_dir is None:
            raise ConfigError("resume needs a checkpoint_dir holding a last_checkpoint pointer")
        pointer = read_pointer(self.checkpoint_dir)
        if pointer is None:
            self._log("resume_skipped", reason="no last_checkpoint pointer yet")
            return
        path = self.checkpoint_dir / pointer["checkpoint"]
        if not path.exists():
            raise InputError(
                f"checkpoint {path} named by {self.checkpoint_dir / POINTER_NAME} is missing; "
                f"restore it or delete the pointer to start over"
            )
        if self.load_fn is not None:
            self.load_fn(path)
        state = pointer.get("state") or {}
        try:
            self.state = LoopState(**state)
        except TypeError as exc:
            raise InputError(f"checkpoint pointer state is malformed: {exc}") from None
        self.state.step = int(pointer.get("step", self.state.step))
        self._log("resume", step=self.state.step, checkpoint=path)

    def _result(self) -> LoopResult:
        folder = self.checkpoint_dir
        names = self.state.checkpoints
        return LoopResult(
            last_step=self.state.step,
            stopped_early=self._stop_reason is not None,
            stop_reason=self._stop_reason,
            best_step=self.state.best_step,
            best_value=self.state.best_value,
            best_checkpoint=folder / self.state.best_checkpoint
            if folder and self.state.best_checkpoint
            else None,
            last_checkpoint=folder / names[-1] if folder and names else None,
            checkpoints=[folder / n for n in names] if folder else [],
        )


def _metric(metrics: Metrics, name: str, step: int) -> float:
    if name not in metrics:
        raise ConfigError(
            f"eval at step {step} returned no metric {name!r}; it returned: "
            f"{', '.join(sorted(metrics)) or 'nothing'}"
        )
    return float(metrics[name])


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


__all__ = [
    "POINTER_NAME",
    "BaseLoopHook",
    "CheckpointPolicy",
    "EarlyStopping",
    "LoopHook",
    "LoopResult",
    "LoopState",
    "TrainingLoop",
    "improved",
    "read_pointer",
]
