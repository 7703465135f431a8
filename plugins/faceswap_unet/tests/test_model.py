"""The torch side: U-Net shapes, losses reaching the generator, recognizer loading, checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from faceswap_core.errors import ModelFileError
from faceswap_unet.checkpoint import arch_hash, load_checkpoint, read_state, save_checkpoint
from faceswap_unet.configs import (
    AdversarialLossConfig,
    MaskLossConfig,
    ModelConfig,
    RecognizerConfig,
    ReconstructionLossConfig,
    SchedulerConfig,
    TrainConfig,
    WeightedLossConfig,
)
from faceswap_unet.losses import (
    AdversarialLoss,
    FeatureMatchingLoss,
    IdentityLoss,
    MaskLoss,
    ReconstructionLoss,
)
from faceswap_unet.lpips_metric import default_backbone, load_lpips
from faceswap_unet.model.discriminator import MultiScaleDiscriminator
from faceswap_unet.model.recognizer import IResNet, build_recognizer, load_backbone_pth
from faceswap_unet.model.unet import UNetSwapper, gflops, parameter_count
from faceswap_unet.session import lr_factor

SMALL = ModelConfig(crop_size=32, base_channels=8, depth=2, bottleneck_blocks=1)


def batch(size: int = 32, n: int = 2) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {
        "target": torch.rand(n, 3, size, size, generator=generator),
        "source": torch.rand(n, 3, size, size, generator=generator),
        "same": torch.tensor([1.0, 0.0])[:n],
    }


@pytest.mark.parametrize("injection", ["film", "adain"])
@torch.no_grad()
def test_unet_output_shapes_and_ranges(injection: str) -> None:
    torch.manual_seed(0)
    model = UNetSwapper(
        ModelConfig(crop_size=64, base_channels=8, depth=3, injection=injection), 16
    )
    target = torch.rand(3, 3, 64, 64)
    source = torch.nn.functional.normalize(torch.randn(3, 16), dim=1)
    output, mask = model(target, source)
    assert output.shape == (3, 3, 64, 64)
    assert mask.shape == (3, 1, 64, 64)
    assert float(mask.min()) >= 0.0
    assert float(mask.max()) <= 1.0
    assert float(output.min()) >= 0.0
    assert float(output.max()) <= 1.0


@torch.no_grad()
def test_identity_injection_changes_the_output() -> None:
    torch.manual_seed(0)
    model = UNetSwapper(SMALL, 8)
    for injection in model.modules():
        if hasattr(injection, "linear") and isinstance(injection.linear, torch.nn.Linear):
            torch.nn.init.normal_(injection.linear.weight, std=0.5)
    target = torch.rand(1, 3, 32, 32)
    a, _ = model(target, torch.nn.functional.normalize(torch.randn(1, 8), dim=1))
    b, _ = model(target, torch.nn.functional.normalize(torch.randn(1, 8), dim=1))
    assert float((a - b).abs().max()) > 1e-3


def test_crop_size_must_fit_the_depth() -> None:
    with pytest.raises(ValueError, match="multiple of 2 \\*\\* depth"):
        ModelConfig(crop_size=100, depth=3)


def test_gflops_of_a_single_convolution_match_the_hand_count() -> None:
    """A 3->8 3x3 conv on 32x32 is 32*32*8*27 multiply-adds = 2 * 221184 FLOPs."""
    from torch.utils.flop_counter import FlopCounterMode

    conv = torch.nn.Conv2d(3, 8, 3, padding=1, bias=False)
    counter = FlopCounterMode(display=False)
    with counter:
        conv(torch.zeros(1, 3, 32, 32))
    assert counter.get_total_flops() == 2 * 32 * 32 * 8 * 27
    model = UNetSwapper(SMALL, 8)
    assert gflops(model, 128) > gflops(model, 64) > 0
    assert parameter_count(model) == sum(p.numel() for p in model.parameters())


LOSSES = [
    ReconstructionLoss(ReconstructionLossConfig()),
    IdentityLoss(WeightedLossConfig()),
    MaskLoss(MaskLossConfig()),
    AdversarialLoss(AdversarialLossConfig()),
    FeatureMatchingLoss(WeightedLossConfig()),
]


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_each_loss_sends_gradient_to_the_generator(loss: object) -> None:
    torch.manual_seed(0)
    generator = UNetSwapper(SMALL, 16)
    recognizer = build_recognizer(RecognizerConfig(arch="tiny", embedding_dim=16), None)
    discriminator = MultiScaleDiscriminator(2, 8, 2)
    data = batch()
    with torch.no_grad():
        source_embedding = recognizer(data["source"])
    output, mask = generator(data["target"], source_embedding)
    fake = discriminator(output)
    outputs = {
        "output": output,
        "mask": mask,
        "source_embedding": source_embedding,
        "output_embedding": recognizer(output),
        "fake_logits": [logits for logits, _ in fake],
        "fake_features": [features for _, features in fake],
        "real_features": [features for _, features in discriminator(data["target"])],
    }
    value = loss(outputs, data)  # type: ignore[operator]
    assert value.dim() == 0
    assert torch.isfinite(value)
    value.backward()
    grads = [p.grad for p in generator.parameters() if p.grad is not None]
    assert grads
    assert sum(float(g.abs().sum()) for g in grads) > 0
    assert all(p.grad is None for p in recognizer.parameters())


def test_reconstruction_counts_only_same_identity_pairs() -> None:
    loss = ReconstructionLoss(ReconstructionLossConfig())
    target = torch.zeros(2, 3, 4, 4)
    output = torch.stack([torch.full((3, 4, 4), 0.25), torch.full((3, 4, 4), 0.75)])
    value = loss({"output": output}, {"target": target, "same": torch.tensor([1.0, 0.0])})
    assert float(value) == pytest.approx(0.25)


def test_identity_loss_is_one_minus_cosine() -> None:
    loss = IdentityLoss(WeightedLossConfig())
    a = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    b = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    value = loss({"output_embedding": a, "source_embedding": b}, {})
    assert float(value) == pytest.approx(0.5)  # (1 - 1 + 1 - 0) / 2


def test_cosine_schedule_halves_at_midpoint_and_warms_up() -> None:
    config = TrainConfig(steps=100)
    assert lr_factor(0, config) == pytest.approx(1.0)
    assert lr_factor(50, config) == pytest.approx(0.5)
    assert lr_factor(100, config) == pytest.approx(0.0, abs=1e-12)
    warm = TrainConfig(steps=100, scheduler=SchedulerConfig(warmup_steps=4))
    assert [lr_factor(s, warm) for s in range(2)] == [0.25, 0.5]


def test_iresnet_loads_an_insightface_style_backbone_pth(tmp_path: Path) -> None:
    """insightface publishes backbone.pth as a plain state dict (``module.`` prefixes allowed)."""
    torch.manual_seed(0)
    source = IResNet([1, 1, 1, 1], 32)
    path = tmp_path / "backbone.pth"
    torch.save({f"module.{k}": v for k, v in source.state_dict().items()}, path)
    target = IResNet([1, 1, 1, 1], 32)
    load_backbone_pth(target, path)
    source.eval()
    target.eval()
    image = torch.rand(1, 3, 112, 112)
    assert torch.equal(source(image), target(image))


def test_backbone_pth_with_pickled_objects_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    torch.save({"conv1.weight": torch.zeros(1), "note": Path("/etc/passwd")}, path)
    with pytest.raises(ModelFileError) as caught:
        load_backbone_pth(IResNet([1, 1, 1, 1], 32), path)
    message = str(caught.value)
    assert "\n" not in message
    assert "holds a pickled Python object (pathlib." in message
    assert "weights_only=False" not in message  # torch's advice would run the file's code


def test_a_wrong_backbone_is_a_model_file_error(tmp_path: Path) -> None:
    path = tmp_path / "backbone.pth"
    torch.save(IResNet([1, 1, 1, 1], 32).state_dict(), path)
    with pytest.raises(ModelFileError, match="does not fit this recognizer"):
        load_backbone_pth(IResNet([2, 2, 2, 2], 32), path)


def test_iresnet_without_weights_is_refused() -> None:
    with pytest.raises(ModelFileError, match="needs weights"):
        build_recognizer(RecognizerConfig(arch="iresnet50"), None)


def _training_state(
    seed: int,
) -> tuple[UNetSwapper, torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    torch.manual_seed(seed)
    model = UNetSwapper(SMALL, 8)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0 / (1 + s))
    return model, optimizer, scheduler


def test_checkpoint_round_trip_restores_weights_optimizer_and_schedule(tmp_path: Path) -> None:
    model, optimizer, scheduler = _training_state(0)
    for _ in range(2):
        out, _ = model(torch.rand(2, 3, 32, 32), torch.rand(2, 8))
        out.mean().backward()
        optimizer.step()
        scheduler.step()
    arch = arch_hash({"crop_size": 32}, 8)
    meta = {"arch": arch, "step": 2, "crop_size": 32, "template": "arcface", "embedding_dim": 8}
    save_checkpoint(
        tmp_path / "ckpt",
        generator=model,
        meta=meta,
        optimizers={"g": optimizer},
        schedulers={"g": scheduler},
    )
    assert not list((tmp_path / "ckpt").glob("*.pt*"))  # tensors are safetensors, never pickles
    clone, clone_opt, clone_sched = _training_state(1)
    state = load_checkpoint(
        tmp_path / "ckpt",
        generator=clone,
        expected_arch=arch,
        optimizers={"g": clone_opt},
        schedulers={"g": clone_sched},
    )
    assert state["step"] == 2
    assert read_state(tmp_path / "ckpt")["template"] == "arcface"
    for a, b in zip(model.state_dict().values(), clone.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    for key, value in optimizer.state_dict()["state"][0].items():
        assert torch.equal(value, clone_opt.state_dict()["state"][0][key])
    assert clone_sched.last_epoch == 2
    assert clone_opt.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]


def test_checkpoint_of_another_architecture_is_refused(tmp_path: Path) -> None:
    model, optimizer, scheduler = _training_state(0)
    meta = {"arch": "aaaa", "step": 1, "model": {"base_channels": 8}, "embedding_dim": 8}
    save_checkpoint(
        tmp_path / "ckpt",
        generator=model,
        meta=meta,
        optimizers={"g": optimizer},
        schedulers={"g": scheduler},
    )
    with pytest.raises(ModelFileError, match="different architecture"):
        load_checkpoint(
            tmp_path / "ckpt", generator=model, expected_arch="bbbb", optimizers={}, schedulers={}
        )
    wider = UNetSwapper(
        ModelConfig(crop_size=32, base_channels=16, depth=2, bottleneck_blocks=1), 8
    )
    with pytest.raises(ModelFileError, match="different architecture: shape of"):
        load_checkpoint(
            tmp_path / "ckpt", generator=wider, expected_arch="aaaa", optimizers={}, schedulers={}
        )


def test_lpips_runs_on_a_random_backbone_and_says_why_it_is_unavailable() -> None:
    module, reason = load_lpips("random")
    assert reason is None
    assert module is not None
    a, b = torch.rand(2, 3, 64, 64) * 2 - 1, torch.rand(2, 3, 64, 64) * 2 - 1
    assert float(module(a, a).max()) == pytest.approx(0.0, abs=1e-6)
    assert float(module(a, b).min()) > 0.0
    if not default_backbone("alex").is_file():
        missing, why = load_lpips("auto")
        assert missing is None
        assert "ImageNet alexnet backbone weights, not found at" in str(why)
    off, why_off = load_lpips("off")
    assert off is None
    assert "off" in str(why_off)


def test_recognizer_embeddings_are_unit_vectors() -> None:
    recognizer = build_recognizer(RecognizerConfig(arch="tiny", embedding_dim=24), None)
    embeddings = recognizer(torch.rand(3, 3, 64, 64))
    assert embeddings.shape == (3, 24)
    assert np.allclose(embeddings.norm(dim=1).numpy(), 1.0, atol=1e-5)


def test_batches_depend_only_on_seed_and_batch_number(tiny: Path) -> None:
    """Loader worker processes, or starting mid-run (resume), give the very same batches."""
    from faceswap_unet.configs import AugmentConfig
    from faceswap_unet.data.samples import LfwSplit, open_prepared
    from faceswap_unet.pairs import PairBatches, batches_from

    split = LfwSplit(open_prepared(tiny), "train")
    batches = PairBatches(
        split,
        list(range(len(split))),
        batch_size=3,
        crop_size=32,
        seed=5,
        rank=0,
        same_identity=0.5,
        augment_config=AugmentConfig(),
    )
    direct = list(batches_from(batches, 0, 4, workers=0, seed=5))
    loaded = list(batches_from(batches, 2, 4, workers=1, seed=5))
    for a, b in zip(direct[2:], loaded, strict=True):
        assert all(torch.equal(a[key], b[key]) for key in ("target", "source", "same"))
    other_rank = PairBatches(
        split,
        list(range(len(split))),
        batch_size=3,
        crop_size=32,
        seed=5,
        rank=1,
        same_identity=0.5,
        augment_config=AugmentConfig(),
    )
    assert not torch.equal(other_rank[0]["target"], direct[0]["target"])
    assert direct[0]["target"].shape == (3, 3, 32, 32)
