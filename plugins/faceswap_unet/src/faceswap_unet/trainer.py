"""The ``train`` runner: checks a training config before a work_dir exists, then runs it.

Core's :class:`~faceswap_core.experiment.loop.TrainingLoop` owns the
bookkeeping (atomic checkpoints, ``last_checkpoint``, best + last K, early
stopping, resume). This plugin's side is split by concept:

- :mod:`.trainer` (this module): the registered runner, its checks before any
  file is written, and one :class:`~.session.Session` per rank;
- :mod:`.session`: one rank's run: data, models, optimisers, AMP, DDP, the
  optimiser steps, the loop and the final ``metrics.json``;
- :mod:`.evaluation`: validation during training (swapping the fixed pairs),
  scored by :mod:`.validation` with core's metrics;
- :mod:`.checkpoint`: the checkpoint format, and what a session records in it;
- :mod:`.sample_sheets`: the ``samples/step_<step>.png`` contact sheets;
- :mod:`.loop_hooks`: metrics files, progress and TensorBoard on the loop's hooks.

Only rank 0 writes files; every rank evaluates the same deterministic
validation pairs, so early-stopping decisions agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from faceswap_core.config.schema import ExperimentConfig
from faceswap_core.errors import ConfigError, ModelFileError
from faceswap_core.experiment.workdir import WorkDir
from faceswap_core.plugin.context import BuildContext
from faceswap_core.plugin.kinds import DATASET, LOSS
from faceswap_unet import distributed
from faceswap_unet.configs import TrainConfig
from faceswap_unet.data.augment import check_names
from faceswap_unet.data.dataset import LfwDataset
from faceswap_unet.data.samples import LfwSplit
from faceswap_unet.session import Session
from faceswap_unet.validation import check_sizes, choose_validation

DEFAULT_DATA: dict[str, Any] = {"type": "lfw"}


def pick_device(config: TrainConfig) -> torch.device:
    if config.device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("$.train.device: cuda requested but torch sees no CUDA device")
    if config.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(config.device)


class TrainRunner:
    """Trains the ``unet`` swapper from ``train:`` params (:class:`TrainConfig`)."""

    swapper = "unet"
    """The swapper that loads this runner's checkpoints (recorded in the run's status.json)."""

    def __init__(self, config: TrainConfig, context: BuildContext) -> None:
        self.config = config
        self.context = context

    # -- checks before a work_dir exists ---------------------------------------------

    def dataset(self, experiment: ExperimentConfig) -> LfwDataset:
        ref = experiment.data or DEFAULT_DATA
        dataset = self.context.plugins.build(DATASET, ref, context=self.context, path="$.data")
        if not isinstance(dataset, LfwDataset):
            raise ConfigError(
                f"$.data: the train runner reads lfw-style datasets, got {ref.get('type')!r}"
            )
        return dataset

    def losses(self) -> list[Any]:
        return [
            self.context.plugins.build(LOSS, ref, context=self.context, path=f"$.train.losses[{i}]")
            for i, ref in enumerate(self.config.losses)
        ]

    def recognizer_weights(self) -> Path | None:
        weights = self.config.recognizer.weights
        if weights is None:
            if self.config.recognizer.arch != "tiny":
                raise ModelFileError(
                    f"$.train.recognizer: {self.config.recognizer.arch} needs weights (an "
                    "insightface backbone.pth); set train.recognizer.weights, or use arch: tiny "
                    "for smoke runs"
                )
            return None
        return self.context.models.resolve(weights)

    def check(self, experiment: ExperimentConfig) -> None:
        """Fail before a work_dir exists: unknown loss, bad augmentation, data or model files."""
        check_names(self.config.augment.names)
        if not self.config.losses:
            raise ConfigError("$.train.losses: at least one loss is needed")
        self.losses()
        self.recognizer_weights()
        dataset = self.dataset(experiment)
        if dataset.config.root:
            prepared = dataset.open(Path(dataset.config.root))
            if prepared.template != "arcface" and prepared.template != dataset.config.template:
                raise ConfigError(f"{prepared.root}: crops use template {prepared.template}")
            train = LfwSplit(prepared, "train", identities=prepared.identities())
            val = LfwSplit(prepared, "val", identities=prepared.identities())
            choice = choose_validation(train, val)
            check_sizes(prepared.root, len(choice.train_indices))
        if self.config.early_stopping is not None and self.config.eval.every < 1:
            raise ConfigError("$.train.early_stopping needs train.eval.every >= 1")

    # -- the run -------------------------------------------------------------------------

    def run(
        self, config: ExperimentConfig, work_dir: Path, *, resume: bool = False
    ) -> dict[str, Any]:
        device = pick_device(self.config)
        info = distributed.setup(device.type)
        try:
            return Session(self, config, WorkDir(work_dir), device, info).run(resume=resume)
        finally:
            distributed.teardown(info)


__all__ = ["DEFAULT_DATA", "TrainRunner", "pick_device"]
