"""Config classes of faceswap-unet's components; light to import (no torch, no numpy).

YAML params are structured into these classes by core's strict converter, so
a typo is an error with its path (``$.train.optimizer.lrr: unknown key``).
The runner's section (``train: {type: train, ...}``) is :class:`TrainConfig`;
the dataset's (``data: {type: lfw, ...}``) is :class:`LfwConfig`.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs
from attrs import validators as v

from faceswap_core.config import ranges
from faceswap_core.config.ranges import MAX_STEPS, above, at_least, between, each, loss_weight
from faceswap_core.operations import fields

ComponentRef = dict[str, Any]

MAX_EXPORT_BATCH = 256
"""Largest batch of a ``--static`` export (and of validation runs)."""

DEFAULT_KAGGLE_DATASET = "jessicali9530/lfw-dataset"
"""The Kaggle copy of LFW (its zip nests ``lfw-deepfunneled/lfw-deepfunneled/<Name>/``)."""


@attrs.frozen
class LfwConfig:
    """The LFW dataset: how raw images become aligned, split crops.

    :ivar root: a prepared folder (``faceswap data lfw prepare --out``); ``null``
        builds (once, cached) the ``tiny`` test set from faces shipped by
        installed packages, under ``$FACESWAP_HOME/datasets`` or ``~/.cache/faceswap/datasets``.
    :ivar crop_size: side of the aligned crops in pixels.
    :ivar template: alignment template of the crops (``arcface``: the 112 px 5-point layout scaled).
    :ivar detector: the registered detector that finds faces and their 5 points.
    :ivar val_fraction: share of identities in ``val``; ``test_fraction`` likewise.
    :ivar seed: seed of the identity split.
    :ivar workers: threads detecting faces, each with its own detector; 0: one per usable CPU.
    :ivar min_score: detections below this score count as no face.
    """

    root: str | None = None
    crop_size: int = attrs.field(default=112, validator=[v.ge(64), v.le(512)])
    template: Literal["arcface", "inswapper"] = "arcface"
    detector: ComponentRef = attrs.field(
        factory=lambda: {"type": "retinaface"}, metadata={"component": "detector"}
    )
    val_fraction: float = attrs.field(default=0.1, validator=between(0.0, 1.0, high_open=True))
    test_fraction: float = attrs.field(default=0.1, validator=between(0.0, 1.0, high_open=True))
    seed: int = attrs.field(default=0, validator=v.ge(0))
    workers: int = attrs.field(default=0, validator=[v.ge(0), v.le(64)])
    min_score: float = attrs.field(default=0.5, validator=between(0.0, 1.0))


@attrs.frozen
class AugmentConfig:
    """Augmentations applied to training targets, by name (``color_jitter``, ``blur``, ``hflip``).

    :ivar names: which augmentations run, in order; ``[]`` turns them off.
    :ivar probability: chance that each one is applied to a sample.
    """

    names: list[str] = attrs.field(factory=lambda: ["hflip", "color_jitter", "blur"])
    probability: float = attrs.field(default=0.5, validator=between(0.0, 1.0))


@attrs.frozen
class ModelConfig:
    """The U-Net generator.

    :ivar crop_size: input and output side; a multiple of ``2 ** depth``.
    :ivar base_channels: channels of the first level; each level doubles them.
    :ivar depth: number of down-sampling levels.
    :ivar bottleneck_blocks: residual blocks with identity injection at the bottleneck.
    :ivar injection: ``film`` (scale and shift from the embedding) or ``adain``
        (normalise, then the embedding's scale and shift).
    """

    crop_size: int = attrs.field(default=128, validator=[v.ge(32), v.le(512)])
    base_channels: int = attrs.field(default=32, validator=[v.ge(4), v.le(256)])
    depth: int = attrs.field(default=4, validator=[v.ge(2), v.le(6)])
    bottleneck_blocks: int = attrs.field(default=2, validator=[v.ge(0), v.le(16)])
    injection: Literal["film", "adain"] = "film"

    def __attrs_post_init__(self) -> None:
        if self.crop_size % (2**self.depth):
            raise ValueError(
                f"crop_size {self.crop_size} must be a multiple of 2 ** depth = {2**self.depth}"
            )


@attrs.frozen
class RecognizerConfig:
    """The frozen recognizer of the identity loss (a torch module).

    :ivar arch: ``iresnet18`` / ``iresnet34`` / ``iresnet50`` / ``iresnet100``
        (insightface ArcFace backbones) or ``tiny`` (a small random network
        for smoke tests, whose identity numbers mean nothing).
    :ivar weights: an insightface ``backbone.pth`` (a path or a model-store
        name); ``null`` initialises randomly, which only ``tiny`` allows.
    :ivar embedding_dim: size of the embedding (512 for insightface backbones).
    :ivar name: the pipeline recognizer whose embeddings match these weights
        (``arcface`` for w600k_r50), recorded in checkpoints and exports.
    :ivar seed: seed of a random initialisation.
    """

    arch: Literal["tiny", "iresnet18", "iresnet34", "iresnet50", "iresnet100"] = "iresnet50"
    weights: str | None = None
    embedding_dim: int = attrs.field(default=512, validator=[v.ge(8), v.le(4096)])
    name: str | None = None
    seed: int = attrs.field(default=0, validator=v.ge(0))


@attrs.frozen
class OptimizerConfig:
    type: Literal["adam", "adamw"] = "adam"
    lr: float = attrs.field(default=2e-4, validator=ranges.learning_rate)
    betas: tuple[float, ...] = attrs.field(
        default=(0.5, 0.999), validator=each(between(0.0, 1.0, high_open=True))
    )
    weight_decay: float = attrs.field(default=0.0, validator=ranges.weight_decay)
    discriminator_lr: float | None = attrs.field(default=None, validator=ranges.learning_rate)


@attrs.frozen
class SchedulerConfig:
    """Learning-rate schedule.

    :ivar type: ``constant``, ``cosine`` (to ``min_lr`` over ``total_steps``) or
        ``step`` (times ``gamma`` every ``step_size`` steps).
    :ivar total_steps: horizon of ``cosine``; ``null`` uses ``train.steps``. Set
        it when a run will be resumed for more steps, so the schedule stays the same.
    :ivar warmup_steps: linear warm-up from 0.
    """

    type: Literal["constant", "cosine", "step"] = "cosine"
    total_steps: int | None = attrs.field(default=None, validator=between(1, MAX_STEPS))
    warmup_steps: int = attrs.field(default=0, validator=between(0, MAX_STEPS))
    min_lr: float = attrs.field(default=0.0, validator=between(0.0, 1.0))
    step_size: int = attrs.field(default=1000, validator=between(1, MAX_STEPS))
    gamma: float = attrs.field(default=0.5, validator=above(0.0, 1.0))


@attrs.frozen
class CheckpointConfig:
    """What is saved: every N steps, the last K, and the best by ``best_metric``."""

    every: int = attrs.field(default=0, validator=between(0, MAX_STEPS))
    keep_last: int = attrs.field(default=3, validator=between(1, 1000))
    best_metric: str | None = "val/loss_reconstruction"
    mode: Literal["min", "max"] = "min"


@attrs.frozen
class EarlyStoppingConfig:
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` evaluations."""

    monitor: str = "val/loss_reconstruction"
    patience: int = attrs.field(default=5, validator=between(1, MAX_STEPS))
    mode: Literal["min", "max"] = "min"
    min_delta: float = attrs.field(default=0.0, validator=at_least(0.0))


@attrs.frozen
class EvalConfig:
    """Validation during training.

    :ivar every: evaluate every N steps (and at the end); 0 only at the end.
    :ivar max_pairs: cap on reconstruction and swap pairs per evaluation.
    :ivar lpips: ``auto`` reports LPIPS when its backbone weights are present,
        ``off`` never; ``random`` uses a randomly initialised backbone (tests only:
        the numbers are not comparable to published LPIPS).
    :ivar samples: rows of the ``samples/step_<step, 6 digits>.png`` contact sheet (0: none).
    """

    every: int = attrs.field(default=0, validator=between(0, MAX_STEPS))
    max_pairs: int = attrs.field(default=64, validator=between(1, 100_000))
    lpips: Literal["auto", "off", "random"] = "auto"
    samples: int = attrs.field(default=4, validator=[v.ge(0), v.le(32)])


@attrs.frozen
class TrainConfig:
    """The ``train`` runner: model, losses, optimisation and bookkeeping.

    :ivar steps: optimisation steps (each one ``batch_size * accumulate`` samples).
    :ivar batch_size: samples per forward pass, per process.
    :ivar accumulate: forward passes whose gradients add up before a step.
    :ivar same_identity: share of pairs whose source has the target's identity
        (reconstruction applies to them).
    :ivar losses: ``{type: NAME, weight: W, ...}`` of the registered losses.
    :ivar device: ``auto`` (CUDA when available), ``cpu`` or ``cuda``.
    :ivar amp: mixed precision on CUDA: ``off``, ``bf16`` or ``fp16``.
    :ivar workers: data loader processes (0 loads in the training process).
    :ivar log_every: log (and write metrics) every N steps.
    :ivar progress: ``auto`` draws a progress bar on a terminal, JSON lines otherwise.
    :ivar hooks: optional loop hooks by name: ``progress`` (bar or JSON lines),
        ``plots`` (``plots/*.png`` at the end), ``tensorboard`` (event files when
        the package is installed). ``metrics.jsonl`` / ``.csv`` / ``.json`` and
        checkpoints are always written.
    """

    model: ModelConfig = attrs.Factory(ModelConfig)
    recognizer: RecognizerConfig = attrs.Factory(RecognizerConfig)
    losses: list[ComponentRef] = attrs.field(
        factory=lambda: [
            {"type": "reconstruction", "weight": 1.0},
            {"type": "identity", "weight": 1.0},
            {"type": "mask", "weight": 0.1},
        ],
        metadata={"component": "loss"},
    )
    augment: AugmentConfig = attrs.Factory(AugmentConfig)
    optimizer: OptimizerConfig = attrs.Factory(OptimizerConfig)
    scheduler: SchedulerConfig = attrs.Factory(SchedulerConfig)
    checkpoint: CheckpointConfig = attrs.Factory(CheckpointConfig)
    early_stopping: EarlyStoppingConfig | None = None
    eval: EvalConfig = attrs.Factory(EvalConfig)
    steps: int = attrs.field(default=1000, validator=between(1, MAX_STEPS))
    batch_size: int = attrs.field(default=8, validator=[v.ge(1), v.le(4096)])
    accumulate: int = attrs.field(default=1, validator=[v.ge(1), v.le(1024)])
    same_identity: float = attrs.field(default=0.5, validator=between(0.0, 1.0))
    device: Literal["auto", "cpu", "cuda"] = "auto"
    amp: Literal["off", "bf16", "fp16"] = "off"
    workers: int = attrs.field(default=0, validator=[v.ge(0), v.le(64)])
    log_every: int = attrs.field(default=10, validator=between(1, MAX_STEPS))
    progress: Literal["auto", "bar", "json"] = "auto"
    hooks: list[Literal["progress", "plots", "tensorboard"]] = attrs.field(
        factory=lambda: ["progress", "plots", "tensorboard"]
    )


@attrs.frozen
class WeightedLossConfig:
    """A loss with only a weight (``identity``, ``adversarial``, ``feature_matching``)."""

    weight: float = attrs.field(default=1.0, validator=loss_weight)


@attrs.frozen
class ReconstructionLossConfig:
    """L1 between output and target when the source shares the target's identity.

    :ivar lpips_weight: weight of LPIPS added to L1 when its weights are present (0: off).
    """

    weight: float = attrs.field(default=1.0, validator=loss_weight)
    lpips_weight: float = attrs.field(default=0.0, validator=loss_weight)


@attrs.frozen
class MaskLossConfig:
    """Keeps the blend mask compact and smooth: mean area plus total variation."""

    weight: float = attrs.field(default=0.1, validator=loss_weight)
    area: float = attrs.field(default=1.0, validator=loss_weight)
    smoothness: float = attrs.field(default=1.0, validator=loss_weight)


@attrs.frozen
class AdversarialLossConfig:
    """Hinge loss against a multi-scale PatchGAN discriminator.

    :ivar scales: image scales the discriminator sees (1 = full size only).
    :ivar channels: channels of the discriminator's first layer.
    """

    weight: float = attrs.field(default=0.1, validator=loss_weight)
    scales: int = attrs.field(default=2, validator=[v.ge(1), v.le(4)])
    channels: int = attrs.field(default=32, validator=[v.ge(4), v.le(256)])
    layers: int = attrs.field(default=3, validator=[v.ge(1), v.le(6)])


@attrs.frozen
class UnetSwapperConfig:
    """The ``unet`` swapper: a trained checkpoint run with torch through the pipeline.

    :ivar model: a checkpoint folder (``checkpoints/step-00001000.ckpt``) or a
        run folder (its best checkpoint, else its last).
    :ivar device: ``cpu``, ``cuda`` or ``auto``.
    """

    model: str = attrs.field(metadata={"checkpoint": True})
    device: Literal["auto", "cpu", "cuda"] = "cpu"


FP32_ATOL = 1e-3
"""Default tolerance of an fp32 export: ONNX Runtime and torch differ by about 1e-6 on [0, 1]."""

FP16_ATOL = 1e-2
"""Default tolerance of an ``--fp16`` export, compared with the fp32 torch model: half-precision
weights and arithmetic move [0, 1] outputs by about 1e-3 (``docs/export.md`` has numbers)."""


@attrs.frozen
class OnnxExportConfig:
    """Export a trained U-Net checkpoint to ONNX for the onnx swapper, validated against torch.

    :ivar output: the ONNX file to write; NAME.export.json (the validation record) goes beside it.
    :ivar run: a training run folder: its best checkpoint is exported, else its last.
    :ivar checkpoint: a checkpoint folder (work_dirs/RUN/checkpoints/step-NNNNNNNN.ckpt).
    :ivar opset: the ONNX opset (18 or newer with the dynamo exporter; 11 to 20 with torchscript).
    :ivar dynamic_batch: a symbolic batch dimension N (what you get without --static).
    :ivar static: fix every dimension, the batch at --batch (NPU compilers, static TensorRT).
    :ivar batch: the batch of a --static export.
    :ivar fp16: half-precision weights and arithmetic; the inputs and outputs stay float32.
    :ivar atol: largest absolute difference accepted between the fp32 torch model and ONNX
        Runtime on the validation inputs (default 1e-3, or 1e-2 with --fp16).
    :ivar exporter: dynamo (torch.export, torch's default) or torchscript (the older tracer,
        for opsets below 18 such as TensorRT 8 on JetPack 5 wants).
    :ivar seed: seed of the validation inputs.
    :ivar overwrite: replace the output and its .export.json when they exist.
    """

    output: str = fields.option(
        "The ONNX file to write; NAME.export.json (the validation record) goes beside it.",
        short="-o",
        aliases=("--out",),
        api_aliases=("out",),
    )
    run: str | None = None
    checkpoint: str | None = None
    opset: int = attrs.field(default=18, validator=between(11, 30))
    dynamic_batch: bool | None = None
    static: bool = False
    batch: int | None = attrs.field(default=None, validator=between(1, MAX_EXPORT_BATCH))
    fp16: bool = False
    atol: float | None = attrs.field(default=None, validator=between(0.0, 1.0))
    exporter: Literal["dynamo", "torchscript"] = "dynamo"
    seed: int = attrs.field(default=0, validator=at_least(0))
    overwrite: bool = fields.overwrite(
        "Replace the output and its .export.json when they exist.",
        aliases=("--force",),
        api_aliases=("force",),
    )

    @property
    def tolerance(self) -> float:
        if self.atol is not None:
            return self.atol
        return FP16_ATOL if self.fp16 else FP32_ATOL

    @property
    def precision(self) -> Literal["fp16", "fp32"]:
        return "fp16" if self.fp16 else "fp32"


@attrs.frozen
class TrainBenchConfig:
    """``faceswap bench-train``: training throughput of the default model."""

    crop_size: int = 128
    batch_size: int = 8
    steps: int = 10
    warmup: int = 2


__all__ = [
    "DEFAULT_KAGGLE_DATASET",
    "FP16_ATOL",
    "FP32_ATOL",
    "MAX_EXPORT_BATCH",
    "AdversarialLossConfig",
    "AugmentConfig",
    "CheckpointConfig",
    "EarlyStoppingConfig",
    "EvalConfig",
    "LfwConfig",
    "MaskLossConfig",
    "ModelConfig",
    "OnnxExportConfig",
    "OptimizerConfig",
    "RecognizerConfig",
    "ReconstructionLossConfig",
    "SchedulerConfig",
    "TrainConfig",
    "UnetSwapperConfig",
    "WeightedLossConfig",
]
