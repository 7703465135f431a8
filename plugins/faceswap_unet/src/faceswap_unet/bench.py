"""Training throughput: images per second of the full generator step on random data.

One step is what the trainer does per batch (recognizer on the sources,
generator forward, reconstruction + identity + mask losses, backward, Adam
update), with the smoke config's tiny recognizer so no weights are needed.
Timed after warm-up steps; on CUDA with AMP (bf16 where supported) too.
"""

from __future__ import annotations

import platform
import time
from typing import Any

import torch

from faceswap_core.experiment.env import cpu_model, usable_cpus
from faceswap_unet.configs import (
    MaskLossConfig,
    ModelConfig,
    RecognizerConfig,
    ReconstructionLossConfig,
    WeightedLossConfig,
)
from faceswap_unet.losses import IdentityLoss, MaskLoss, ReconstructionLoss
from faceswap_unet.model.recognizer import build_recognizer
from faceswap_unet.model.unet import UNetSwapper, model_stats


def train_throughput(
    *,
    crop_size: int = 128,
    batch_size: int = 8,
    steps: int = 10,
    warmup: int = 2,
    device: str = "cpu",
    amp: str = "off",
    seed: int = 0,
) -> dict[str, Any]:
    """Time ``steps`` training steps; returns images/s and the settings."""
    torch.manual_seed(seed)
    dev = torch.device(device)
    recognizer = build_recognizer(RecognizerConfig(arch="tiny", embedding_dim=512), None).to(dev)
    model = UNetSwapper(ModelConfig(crop_size=crop_size), 512).to(dev)
    losses: list[Any] = [
        ReconstructionLoss(ReconstructionLossConfig()),
        IdentityLoss(WeightedLossConfig()),
        MaskLoss(MaskLossConfig()),
    ]
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(amp) if dev.type == "cuda" else None
    scaler = torch.amp.GradScaler("cuda", enabled=dtype is torch.float16)
    target = torch.rand(batch_size, 3, crop_size, crop_size, device=dev)
    source = torch.rand(batch_size, 3, crop_size, crop_size, device=dev)
    batch = {"target": target, "source": source, "same": torch.ones(batch_size, device=dev)}

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        context = (
            torch.autocast(dev.type, dtype=dtype)
            if dtype is not None
            else torch.autocast(dev.type, enabled=False)
        )
        with context:
            with torch.no_grad():
                embedding = recognizer(source)
            output, mask = model(target, embedding)
            out = {
                "output": output,
                "mask": mask,
                "source_embedding": embedding,
                "output_embedding": recognizer(output),
            }
            total = torch.stack([loss.weight * loss(out, batch).float() for loss in losses]).sum()
        scaler.scale(total).backward()  # type: ignore[no-untyped-call]
        scaler.step(optimizer)
        scaler.update()

    for _ in range(warmup):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    return {
        "images_per_s": round(batch_size * steps / seconds, 2),
        "step_ms": round(1000 * seconds / steps, 2),
        "crop_size": crop_size,
        "batch_size": batch_size,
        "steps": steps,
        "warmup": warmup,
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else cpu_model(),
        "amp": amp if dtype is not None else "off",
        "threads": torch.get_num_threads(),
        "usable_cpus": usable_cpus(),
        "model": model_stats(model, crop_size),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


__all__ = ["train_throughput"]
