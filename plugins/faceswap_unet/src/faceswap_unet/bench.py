"""Benchmarks of the U-Net: training throughput, and inference in torch vs ONNX Runtime.

Training: images per second of the full generator step on random data. One
step is what the trainer does per batch (recognizer on the sources,
generator forward, reconstruction + identity + mask losses, backward, Adam
update), with the smoke config's tiny recognizer so no weights are needed.
Timed after warm-up steps; on CUDA with AMP (bf16 where supported) too.

Inference: the default U-Net (seeded weights) run in eager torch and, after
``faceswap export onnx``'s own export path, on ONNX Runtime's CPU provider,
with the same inputs and the same number of intra-op threads for both, so
the ratio compares the runtimes and not the thread counts (the mistake
behind many "ORT is N times faster" reports).
"""

from __future__ import annotations

import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import torch

from faceswap_core.experiment.env import cpu_model, usable_cpus
from faceswap_core.pipeline.timing import percentiles
from faceswap_core.runtime.config import OnnxRuntimeConfig
from faceswap_core.runtime.onnxruntime import OnnxRuntime
from faceswap_unet.configs import (
    MaskLossConfig,
    ModelConfig,
    RecognizerConfig,
    ReconstructionLossConfig,
    WeightedLossConfig,
)
from faceswap_unet.export import torch_export
from faceswap_unet.inference import ExportModule
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


def _timed(run: Any, repeat: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append(1000 * (time.perf_counter() - started))
    return samples


def _short(stats: dict[str, float]) -> dict[str, float]:
    return {key.removesuffix("_ms"): value for key, value in stats.items()}


def inference_speed(
    *,
    crop_size: int = 128,
    batches: tuple[int, ...] = (1, 8),
    threads: int = 1,
    repeat: int = 20,
    warmup: int = 3,
    seed: int = 0,
) -> dict[str, Any]:
    """Latency per batch of the default U-Net in torch (fp32, eager) and on ONNX Runtime CPU."""
    torch.manual_seed(seed)
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        model = ExportModule(UNetSwapper(ModelConfig(crop_size=crop_size), 512)).eval()
        rng = np.random.default_rng(seed)
        example = (torch.rand(2, 3, crop_size, crop_size), torch.rand(2, 512))
        proto = torch_export(model, example, opset=18, exporter="dynamo", dynamic_batch=True)
        with tempfile.TemporaryDirectory(prefix="faceswap-bench-") as folder:
            path = Path(folder) / "unet.onnx"
            path.write_bytes(proto.SerializeToString())
            session = OnnxRuntime(OnnxRuntimeConfig(threads=threads)).load(path)
        results = []
        for batch in batches:
            target = rng.random((batch, 3, crop_size, crop_size), dtype=np.float32)
            source = rng.standard_normal((batch, 512)).astype(np.float32)
            source /= np.linalg.norm(source, axis=1, keepdims=True)
            feeds = {"target": target, "source": source}
            tensors = (torch.from_numpy(target), torch.from_numpy(source))

            def run_torch(tensors: tuple[torch.Tensor, torch.Tensor] = tensors) -> Any:
                with torch.inference_mode():
                    return model(*tensors)

            def run_ort(feeds: dict[str, Any] = feeds) -> Any:
                return session.run(feeds)

            want = run_torch()[0].numpy()
            diff = float(np.abs(run_ort()["output"] - want).max())
            torch_ms = percentiles(_timed(run_torch, repeat, warmup))
            ort_ms = percentiles(_timed(run_ort, repeat, warmup))
            results.append(
                {
                    "batch": batch,
                    "torch_ms": _short(torch_ms),
                    "onnxruntime_ms": _short(ort_ms),
                    "speedup": round(torch_ms["p50_ms"] / ort_ms["p50_ms"], 2),
                    "torch_images_per_s": round(1000 * batch / torch_ms["p50_ms"], 1),
                    "onnxruntime_images_per_s": round(1000 * batch / ort_ms["p50_ms"], 1),
                    "max_abs_diff": diff,
                }
            )
    finally:
        torch.set_num_threads(previous)
    return {
        "crop_size": crop_size,
        "threads": threads,
        "repeat": repeat,
        "warmup": warmup,
        "device": cpu_model(),
        "usable_cpus": usable_cpus(),
        "model": model_stats(model.generator, crop_size),
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "speedup": "torch p50 / onnxruntime p50 (above 1: ONNX Runtime is faster)",
        "results": results,
    }


__all__ = ["inference_speed", "train_throughput"]
