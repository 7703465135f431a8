"""Entry point of faceswap-unet: registers its components, imports nothing heavy.

torch, torchvision, lpips, OpenCV and the detector load inside the
factories, so ``faceswap --help`` stays fast and preparing data (``faceswap
data lfw prepare``) never imports torch: only the trainer, the losses, the
``lpips`` metric and the ``unet`` swapper do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faceswap_core import hookimpl
from faceswap_unet.configs import (
    AdversarialLossConfig,
    LfwConfig,
    MaskLossConfig,
    OnnxExportConfig,
    ReconstructionLossConfig,
    TrainConfig,
    UnetSwapperConfig,
    WeightedLossConfig,
)
from faceswap_unet.lpips_metric import LpipsConfig, build_lpips

if TYPE_CHECKING:
    import click

    from faceswap_core import (
        BuildContext,
        Dataset,
        Exporter,
        Loss,
        Metric,
        Register,
        Runner,
        Swapper,
    )
    from faceswap_core.plugin.hookspecs import RegisterOperation


def _unet(config: UnetSwapperConfig, context: BuildContext) -> Swapper:
    from faceswap_unet.swapper import UnetSwapper

    return UnetSwapper(config)


def _train(config: TrainConfig, context: BuildContext) -> Runner:
    from faceswap_unet.trainer import TrainRunner

    return TrainRunner(config, context)


def _lfw(config: LfwConfig, context: BuildContext) -> Dataset:
    from faceswap_unet.data.dataset import LfwDataset

    return LfwDataset(config)


def _onnx_exporter(config: OnnxExportConfig, context: BuildContext) -> Exporter:
    from faceswap_unet.export import UnetOnnxExporter

    return UnetOnnxExporter(config, context)


def _reconstruction(config: ReconstructionLossConfig, context: BuildContext) -> Loss:
    from faceswap_unet.losses import ReconstructionLoss

    return ReconstructionLoss(config)


def _identity(config: WeightedLossConfig, context: BuildContext) -> Loss:
    from faceswap_unet.losses import IdentityLoss

    return IdentityLoss(config)


def _mask(config: MaskLossConfig, context: BuildContext) -> Loss:
    from faceswap_unet.losses import MaskLoss

    return MaskLoss(config)


def _adversarial(config: AdversarialLossConfig, context: BuildContext) -> Loss:
    from faceswap_unet.losses import AdversarialLoss

    return AdversarialLoss(config)


def _feature_matching(config: WeightedLossConfig, context: BuildContext) -> Loss:
    from faceswap_unet.losses import FeatureMatchingLoss

    return FeatureMatchingLoss(config)


@hookimpl
def register_swappers(register: Register[Swapper]) -> None:
    register("unet", _unet, config=UnetSwapperConfig)


@hookimpl
def register_losses(register: Register[Loss]) -> None:
    register("reconstruction", _reconstruction, config=ReconstructionLossConfig)
    register("identity", _identity, config=WeightedLossConfig)
    register("mask", _mask, config=MaskLossConfig)
    register("adversarial", _adversarial, config=AdversarialLossConfig)
    register("feature_matching", _feature_matching, config=WeightedLossConfig)


@hookimpl
def register_metrics(register: Register[Metric]) -> None:
    register("lpips", build_lpips, config=LpipsConfig)


@hookimpl
def register_datasets(register: Register[Dataset]) -> None:
    register("lfw", _lfw, config=LfwConfig)


@hookimpl
def register_runners(register: Register[Runner]) -> None:
    register("train", _train, config=TrainConfig)


@hookimpl
def register_exporters(register: Register[Exporter]) -> None:
    register("onnx", _onnx_exporter, config=OnnxExportConfig)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from faceswap_unet.commands import bench_export, bench_train

    cli.add_command(bench_train)
    cli.add_command(bench_export)


@hookimpl
def register_operations(register: RegisterOperation) -> None:
    from faceswap_unet.specs import BENCH_EXPORT, BENCH_TRAIN

    register(BENCH_TRAIN)
    register(BENCH_EXPORT)
