"""One training run in one process (one rank): set-up, optimiser steps, the loop, the summary.

The session builds the data, the models, the losses and the optimisers from
the runner's config, runs core's :class:`~faceswap_core.experiment.loop.TrainingLoop`
with its own :meth:`Session.step`, validation (:mod:`.evaluation`),
checkpoints (:mod:`.checkpoint`) and hooks (:mod:`.loop_hooks`), and returns
the summary the runner writes to ``metrics.json``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Protocol

import torch

from faceswap_core.config.convert import unstructure
from faceswap_core.config.schema import ExperimentConfig
from faceswap_core.errors import ConfigError
from faceswap_core.experiment.loop import (
    CheckpointPolicy,
    EarlyStopping,
    LoopResult,
    TrainingLoop,
)
from faceswap_core.experiment.metrics import MetricsLog, series
from faceswap_core.experiment.plots import plot_run
from faceswap_core.experiment.seeding import apply_seed
from faceswap_core.experiment.workdir import WorkDir
from faceswap_core.io.atomic import atomic_write_json
from faceswap_unet import distributed
from faceswap_unet.checkpoint import (
    arch_hash,
    checkpoint_meta,
    load_checkpoint,
    model_digest,
    save_checkpoint,
)
from faceswap_unet.configs import TrainConfig
from faceswap_unet.data.dataset import LfwDataset
from faceswap_unet.data.samples import LfwSplit, Prepared
from faceswap_unet.evaluation import Validator
from faceswap_unet.loop_hooks import MetricsHook, ProgressHook, TensorBoardHook, console_logger
from faceswap_unet.losses import AdversarialLoss, ReconstructionLoss
from faceswap_unet.lpips_metric import load_lpips
from faceswap_unet.model.discriminator import MultiScaleDiscriminator, hinge_d_loss
from faceswap_unet.model.recognizer import FrozenRecognizer, build_recognizer
from faceswap_unet.model.unet import UNetSwapper, model_stats
from faceswap_unet.pairs import PairBatches, batches_from
from faceswap_unet.validation import EvalSet, check_sizes, choose_validation, directions, eval_pairs


def lr_factor(step: int, config: TrainConfig) -> float:
    """The learning-rate multiplier after ``step`` optimiser steps."""
    schedule = config.scheduler
    if schedule.warmup_steps and step < schedule.warmup_steps:
        return (step + 1) / schedule.warmup_steps
    base = config.optimizer.lr
    floor = min(schedule.min_lr / base, 1.0) if base > 0 else 0.0
    if schedule.type == "cosine":
        horizon = max(1, (schedule.total_steps or config.steps) - schedule.warmup_steps)
        progress = min(max(step - schedule.warmup_steps, 0), horizon) / horizon
        return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))
    if schedule.type == "step":
        return float(schedule.gamma ** (step // schedule.step_size))
    return 1.0


class RunnerParts(Protocol):
    """What a session needs from its runner (:class:`~faceswap_unet.trainer.TrainRunner`)."""

    config: TrainConfig

    def dataset(self, experiment: ExperimentConfig) -> LfwDataset: ...

    def losses(self) -> list[Any]: ...

    def recognizer_weights(self) -> Path | None: ...


class Session:
    """One training run in one process (one rank)."""

    def __init__(
        self,
        runner: RunnerParts,
        experiment: ExperimentConfig,
        work: WorkDir,
        device: torch.device,
        dist: distributed.DistInfo,
    ) -> None:
        self.runner = runner
        self.config = runner.config
        self.experiment = experiment
        self.work = work
        self.device = device
        self.dist = dist
        self.logger = work.logger(rank=dist.rank) if dist.main else None
        self.console = console_logger(self.config) if dist.main else None

    def log(self, event: str, level: str = "info", /, **fields: Any) -> None:
        for logger in (self.logger, self.console):
            if logger is not None:
                logger.log(level, event, **fields)

    # -- set-up --------------------------------------------------------------------------

    def _data(self) -> None:
        dataset = self.runner.dataset(self.experiment)
        with distributed.main_first(self.dist):
            root = dataset.root()
        prepared: Prepared = dataset.open(root)
        self.prepared = prepared
        names = prepared.identities()
        train = LfwSplit(prepared, "train", identities=names)
        val = LfwSplit(prepared, "val", identities=names)
        choice = choose_validation(train, val)
        self.train_split, self.train_indices = train, choice.train_indices
        eval_split, eval_indices = choice.eval_split, choice.eval_indices
        source, reason = choice.source, choice.reason
        if reason is not None:
            self.log("validation_fallback", "warning", reason=reason)
        check_sizes(root, len(self.train_indices))
        # Held-back images: every train image may be a swap source and fills the
        # retrieval gallery; each pair's own two images are still left out of it.
        gallery = eval_indices if reason is None else list(range(len(eval_split)))
        recon, swaps = eval_pairs(eval_split, eval_indices, self.config.eval.max_pairs, gallery)
        self.eval_set = EvalSet(eval_split, eval_indices, recon, swaps, source, reason, gallery)
        self.data_root = root
        self.log(
            "data",
            root=root,
            version=prepared.manifest.version,
            train_images=len(self.train_indices),
            eval_images=len(eval_indices),
            validation=source,
            identities=len(names),
        )

    def _models(self) -> None:
        cfg = self.config
        apply_seed(self.experiment.seed, import_torch=True)
        if self.device.type == "cuda":
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False
        self.recognizer: FrozenRecognizer = build_recognizer(
            cfg.recognizer, self.runner.recognizer_weights()
        ).to(self.device)
        self.generator = UNetSwapper(cfg.model, cfg.recognizer.embedding_dim).to(self.device)
        self.losses = self.runner.losses()
        adversarial = [loss for loss in self.losses if isinstance(loss, AdversarialLoss)]
        needs_d = any(
            {"fake_logits", "fake_features", "real_features"} & loss.requires
            for loss in self.losses
        )
        self.discriminator: MultiScaleDiscriminator | None = None
        if needs_d:
            settings = adversarial[0].config if adversarial else None
            self.discriminator = MultiScaleDiscriminator(
                settings.scales if settings else 2,
                settings.channels if settings else 32,
                settings.layers if settings else 3,
            ).to(self.device)
        self.lpips, self.lpips_reason = load_lpips(cfg.eval.lpips)
        if self.lpips is not None:
            self.lpips = self.lpips.to(self.device)
        for loss in self.losses:
            if isinstance(loss, ReconstructionLoss) and loss.lpips_weight > 0:
                if self.lpips is None:
                    self.log("lpips_loss_off", "warning", reason=self.lpips_reason)
                else:
                    loss.attach_lpips(self.lpips)
        opt_cls = torch.optim.AdamW if cfg.optimizer.type == "adamw" else torch.optim.Adam
        betas = (float(cfg.optimizer.betas[0]), float(cfg.optimizer.betas[1]))
        self.opt_g = opt_cls(
            self.generator.parameters(),
            lr=cfg.optimizer.lr,
            betas=betas,
            weight_decay=cfg.optimizer.weight_decay,
        )
        self.sched_g = torch.optim.lr_scheduler.LambdaLR(self.opt_g, lambda s: lr_factor(s, cfg))
        self.optimizers: dict[str, torch.optim.Optimizer] = {"generator": self.opt_g}
        self.schedulers: dict[str, Any] = {"generator": self.sched_g}
        if self.discriminator is not None:
            self.opt_d = opt_cls(
                self.discriminator.parameters(),
                lr=cfg.optimizer.discriminator_lr or cfg.optimizer.lr,
                betas=betas,
                weight_decay=cfg.optimizer.weight_decay,
            )
            self.sched_d = torch.optim.lr_scheduler.LambdaLR(
                self.opt_d, lambda s: lr_factor(s, cfg)
            )
            self.optimizers["discriminator"] = self.opt_d
            self.schedulers["discriminator"] = self.sched_d
        self.stats = model_stats(self.generator, 128)
        self.arch = arch_hash(unstructure(cfg.model), cfg.recognizer.embedding_dim)
        self.recognizer_info = self.recognizer.describe()
        self.log("model", **self.stats, crop_size=cfg.model.crop_size, device=str(self.device))
        if self.recognizer.random:
            self.log("recognizer_random", "warning", **self.recognizer_info)
        self.g_train: torch.nn.Module = self.generator
        self.d_train: torch.nn.Module | None = self.discriminator
        if self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.g_train = DistributedDataParallel(self.generator, device_ids=ids)
            if self.discriminator is not None:
                self.d_train = DistributedDataParallel(self.discriminator, device_ids=ids)
        amp = cfg.amp if self.device.type == "cuda" else "off"
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(amp)
        self.scaler = torch.amp.GradScaler("cuda", enabled=amp == "fp16")
        self.batches = PairBatches(
            self.train_split,
            self.train_indices,
            batch_size=cfg.batch_size,
            crop_size=cfg.model.crop_size,
            seed=self.experiment.seed,
            rank=self.dist.rank,
            same_identity=cfg.same_identity,
            augment_config=cfg.augment,
        )
        self._stream: Iterator[dict[str, torch.Tensor]] | None = None
        self._next_k = -1
        self.validator = Validator(
            self.eval_set,
            crop_size=cfg.model.crop_size,
            device=self.device,
            autocast=self.autocast,
            lpips=self.lpips,
            sample_rows=cfg.eval.samples if self.dist.main else 0,
            samples_dir=self.work.samples,
            log=self.log,
        )

    def autocast(self) -> Any:
        if self.amp_dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    # -- one step --------------------------------------------------------------------------

    def batch(self, k: int) -> dict[str, torch.Tensor]:
        if self._stream is None or k != self._next_k:
            stop = self.config.steps * self.config.accumulate
            self._stream = batches_from(
                self.batches, k, stop, workers=self.config.workers, seed=self.experiment.seed
            )
        self._next_k = k + 1
        return {
            name: value.to(self.device, non_blocking=True)
            for name, value in next(self._stream).items()
        }

    def outputs(self, batch: Mapping[str, torch.Tensor], needed: set[str]) -> dict[str, Any]:
        with torch.no_grad():
            source_embedding = self.recognizer(batch["source"])
        output, mask = self.g_train(batch["target"], source_embedding)
        out: dict[str, Any] = {"output": output, "mask": mask, "source_embedding": source_embedding}
        if "output_embedding" in needed:
            out["output_embedding"] = self.recognizer(output)
        if needed & {"fake_logits", "fake_features", "real_features"}:
            assert self.discriminator is not None
            for p in self.discriminator.parameters():
                p.requires_grad_(False)
            fake = self.discriminator(output)
            out["fake_logits"] = [logits for logits, _ in fake]
            out["fake_features"] = [features for _, features in fake]
            if "real_features" in needed:
                with torch.no_grad():
                    out["real_features"] = [f for _, f in self.discriminator(batch["target"])]
            for p in self.discriminator.parameters():
                p.requires_grad_(True)
        return out

    def step(self, step: int) -> dict[str, float]:
        cfg = self.config
        self.generator.train()
        needed: set[str] = set().union(*(loss.requires for loss in self.losses))
        totals: dict[str, float] = {}
        self.opt_g.zero_grad(set_to_none=True)
        kept: list[tuple[torch.Tensor, torch.Tensor]] = []
        for micro in range(cfg.accumulate):
            batch = self.batch((step - 1) * cfg.accumulate + micro)
            sync = nullcontext()
            if self.dist.enabled and micro < cfg.accumulate - 1:
                sync = self.g_train.no_sync()  # type: ignore[operator]
            with sync, self.autocast():
                out = self.outputs(batch, needed)
                total = torch.zeros((), device=self.device)
                for loss in self.losses:
                    value = loss(out, batch).float()
                    total = total + loss.weight * value
                    key = f"loss_{loss.name}"
                    totals[key] = totals.get(key, 0.0) + float(value.detach()) / cfg.accumulate
            self.scaler.scale(total / cfg.accumulate).backward()  # type: ignore[no-untyped-call]
            totals["loss_total"] = (
                totals.get("loss_total", 0.0) + float(total.detach()) / cfg.accumulate
            )
            if self.discriminator is not None:
                kept.append((batch["target"], out["output"].detach()))
        if not math.isfinite(totals["loss_total"]):
            # Stop before the step spreads NaN into every weight (and a run "finishes" on NaN).
            raise ConfigError(
                f"training diverged at step {step}: loss_total is {totals['loss_total']}; lower "
                f"train.optimizer.lr (now {cfg.optimizer.lr:g}) or weight_decay "
                f"({cfg.optimizer.weight_decay:g}), or check the loss weights"
            )
        self.scaler.step(self.opt_g)
        self.scaler.update()
        self.sched_g.step()
        if self.discriminator is not None and self.d_train is not None:
            totals["loss_d"] = self.discriminator_step(kept)
        totals["lr"] = float(self.opt_g.param_groups[0]["lr"])
        return totals

    def discriminator_step(self, kept: list[tuple[torch.Tensor, torch.Tensor]]) -> float:
        assert self.d_train is not None
        self.opt_d.zero_grad(set_to_none=True)
        value = 0.0
        for real, fake in kept:
            with self.autocast():
                scores = self.d_train(torch.cat([real, fake], dim=0))
                n = real.shape[0]
                loss = hinge_d_loss([s[:n] for s, _ in scores], [s[n:] for s, _ in scores]).float()
            (loss / len(kept)).backward()  # type: ignore[no-untyped-call]
            value += float(loss.detach()) / len(kept)
        self.opt_d.step()
        self.sched_d.step()
        return value

    # -- validation and checkpoints ----------------------------------------------------

    def evaluate(self, step: int) -> dict[str, float]:
        """Validation metrics of the current generator (:mod:`.evaluation`)."""
        return self.validator(self.generator, self.recognizer, step)

    def meta(self, step: int) -> dict[str, Any]:
        return checkpoint_meta(
            step,
            arch=self.arch,
            model=self.config.model,
            template=self.prepared.template,
            embedding_dim=self.config.recognizer.embedding_dim,
            recognizer=self.recognizer_info | {"seed": self.config.recognizer.seed},
            config_sha256=self.config_hash,
            seed=self.experiment.seed,
            data_version=self.prepared.manifest.version,
        )

    def save(self, path: Path, step: int) -> None:
        save_checkpoint(
            path,
            generator=self.generator,
            meta=self.meta(step),
            optimizers=self.optimizers,
            schedulers=self.schedulers,
            discriminator=self.discriminator,
            recognizer=self.recognizer if self.recognizer.random else None,
        )

    def load(self, path: Path) -> None:
        load_checkpoint(
            path,
            generator=self.generator,
            expected_arch=self.arch,
            optimizers=self.optimizers,
            schedulers=self.schedulers,
            discriminator=self.discriminator,
        )

    # -- the run -------------------------------------------------------------------------

    def run(self, *, resume: bool) -> dict[str, Any]:
        from faceswap_core.io.hashing import sha256_bytes

        cfg = self.config
        self.config_hash = sha256_bytes(repr(unstructure(self.experiment)).encode())
        self._data()
        self._models()
        metrics = (
            MetricsLog(self.work.metrics_jsonl, self.work.metrics_csv) if self.dist.main else None
        )
        eval_every = cfg.eval.every or cfg.steps
        stopping = (
            EarlyStopping(
                cfg.early_stopping.monitor,
                cfg.early_stopping.patience,
                cfg.early_stopping.mode,
                cfg.early_stopping.min_delta,
            )
            if cfg.early_stopping
            else None
        )
        policy = CheckpointPolicy(
            every=cfg.checkpoint.every,
            keep_last=cfg.checkpoint.keep_last,
            best_metric=cfg.checkpoint.best_metric,
            mode=cfg.checkpoint.mode,
        )
        hooks: list[Any] = []
        if metrics is not None:
            hooks.append(MetricsHook(metrics, cfg.log_every))
        if self.dist.main and "progress" in cfg.hooks:
            hooks.append(ProgressHook(self.console, cfg))
        if self.dist.main and "tensorboard" in cfg.hooks:
            board = TensorBoardHook.create(self.work.path / "tensorboard")
            if board is not None:
                hooks.append(board)
            else:
                self.log("tensorboard_off", reason="the tensorboard package is not installed")
        loop = TrainingLoop(
            self.step,
            max_steps=cfg.steps,
            eval_fn=self.evaluate,
            eval_every=eval_every,
            eval_at_end=True,
            save_fn=self.save if self.dist.main else None,
            load_fn=self.load,
            checkpoint_dir=self.work.checkpoints,
            checkpoint=policy,
            early_stopping=stopping,
            hooks=hooks,
            logger=self.logger,
            log_every=cfg.log_every,
        )
        if not resume:
            baseline = self.evaluate(0)
            self.log("eval", step=0, **baseline)
            if metrics is not None:
                metrics.append(0, "val", {k.split("/", 1)[1]: v for k, v in baseline.items()})
        started = time.perf_counter()
        result = loop.run(resume=resume)
        elapsed = time.perf_counter() - started
        digests = distributed.gather(self.dist, model_digest(self.generator.state_dict()))
        if len(set(digests)) != 1:
            raise RuntimeError(f"DDP ranks ended with different weights: {digests}")
        summary = self.summary(result, metrics, digests, elapsed)
        if metrics is not None:
            metrics.write_csv()
            if "plots" in cfg.hooks:
                plot_run(self.work.plots, series(metrics.records))
            atomic_write_json(self.work.metrics_json, summary)
        distributed.barrier(self.dist)
        return summary

    def summary(
        self, result: LoopResult, metrics: MetricsLog | None, digests: list[str], elapsed: float
    ) -> dict[str, Any]:
        finals: dict[str, float] = {}
        if metrics is not None:
            for name, points in series(metrics.records).items():
                finals[name] = points[-1][1]
        declared = directions()
        # the generator's losses go down; the discriminator's loss_d and the lr have no
        # better direction, so they are left undeclared (compare shows but never gates them)
        declared.update(
            {k: False for k in finals if k.startswith("train/loss") and k != "train/loss_d"}
        )
        return {
            "best_checkpoint": None
            if result.best_checkpoint is None
            else str(result.best_checkpoint),
            "last_checkpoint": None
            if result.last_checkpoint is None
            else str(result.last_checkpoint),
            "steps": result.last_step,
            "stopped_early": result.stopped_early,
            "stop_reason": result.stop_reason,
            "best": {
                "metric": self.config.checkpoint.best_metric,
                "step": result.best_step,
                "value": result.best_value,
            },
            "metrics": finals,
            "higher_is_better": declared,
            "recognizer": self.recognizer_info,
            "validation": {
                "source": self.eval_set.source,
                "reason": self.eval_set.reason,
                "reconstruction_pairs": len(self.eval_set.recon),
                "swap_pairs": len(self.eval_set.swaps),
            },
            "lpips": {
                "available": self.lpips is not None,
                "reason": self.lpips_reason,
                "backbone": "random (tests only)"
                if self.config.eval.lpips == "random"
                else "alexnet",
            },
            "model": self.stats,
            "data": {"root": str(self.data_root), "version": self.prepared.manifest.version},
            "seed": self.experiment.seed,
            "device": str(self.device),
            "torch_threads": torch.get_num_threads(),
            "world_size": self.dist.world_size,
            "rank_weights_sha256": digests,
            "train_seconds": round(elapsed, 3),
        }


__all__ = ["RunnerParts", "Session", "lr_factor"]
