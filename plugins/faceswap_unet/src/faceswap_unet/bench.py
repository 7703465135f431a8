"""Benchmarks of the U-Net: training throughput, and inference in torch vs ONNX Runtime.

Training: images per second of the full generator step on random data. One
step is what the trainer does per batch (recognizer on the sources,
generator forward, reconstruction + identity + mask losses, backward, Adam
update), with the smoke config's tiny recognizer so no weights are needed.
Timed after warm-up steps; on CUDA with AMP (bf16 where supported) too.

Inference: each architecture (the smoke and baseline configs' U-Nets, and
the default one) as a seeded checkpoint, exported by ``faceswap export onnx``
itself (fp32, and ``--int8`` calibrated on real faces), then run in eager
torch and on ONNX Runtime's CPU provider with the same inputs and the same
number of intra-op threads, so the ratio compares the runtimes and not the
thread counts (the mistake behind many "ORT is N times faster" reports).
The runs take turns, so a change of load on a shared machine hits all of
them. ONNX Runtime is timed twice: with the runtime's defaults (idle
threads sleep, what the pipeline uses) and with spinning threads, as
torch's OpenMP threads do between operators. With ``video``, core's video
benchmark runs the checkpoint (``unet``) and both exports (``onnx``).
"""

from __future__ import annotations

import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import onnxruntime
import torch

from faceswap_core.errors import ConfigError
from faceswap_core.experiment.env import cpu_flags, cpu_model, usable_cpus
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
from faceswap_unet.inference import ExportModule, load_checkpoint_for_inference
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


ARCHITECTURES: dict[str, tuple[ModelConfig, int]] = {
    "smoke": (ModelConfig(crop_size=64, base_channels=8, depth=3, bottleneck_blocks=1), 64),
    "default": (ModelConfig(), 512),
    "baseline": (
        ModelConfig(
            crop_size=128, base_channels=64, depth=4, bottleneck_blocks=4, injection="adain"
        ),
        512,
    ),
}
"""U-Nets ``bench-export`` times, with their embedding sizes: ``train.model`` and the
recognizer's ``embedding_dim`` of ``configs/face_swap/smoke.yaml`` and ``baseline.yaml``,
and :class:`ModelConfig`'s defaults (a test holds them to the YAML files)."""

LOOSE_LIMITS: list[str] = ["identity=1", "identity_source=1", "ssim=1", "psnr=0"]
"""The bench's int8 exports are seeded random models: their delta is recorded, never refused."""

PAUSE_S = 0.005
"""Untimed pause between two timed runs, so one runtime's spinning threads settle first."""


def _short(stats: dict[str, float]) -> dict[str, float]:
    return {key.removesuffix("_ms"): value for key, value in stats.items()}


def _calibration_folder(folder: Path, crop_size: int, template: str) -> Path:
    """The probe faces aligned to the model's crop (real faces shipped by installed packages)."""
    import cv2

    from faceswap_unet.recognizer_export import probe_set

    folder.mkdir(parents=True, exist_ok=True)
    crops = probe_set(None, crop_size, template).crops
    for index, crop in enumerate(crops):
        image = (crop.transpose(1, 2, 0) * 255.0 + 0.5).clip(0, 255).astype(np.uint8)
        cv2.imwrite(str(folder / f"face-{index}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return folder


@attrs.frozen
class Exports:
    """One architecture's seeded checkpoint and its fp32 and int8 exports (by the exporter)."""

    checkpoint: Path
    fp32: Path
    int8: Path | None
    summary: dict[str, Any]
    int8_summary: dict[str, Any] | None


def export_architecture(
    folder: Path, arch: str, *, crop_size: int | None, int8: bool, seed: int
) -> Exports:
    """A seeded random checkpoint of ``arch``, exported by ``faceswap export onnx`` (and --int8)."""
    from faceswap_unet.configs import OnnxExportConfig
    from faceswap_unet.export import UnetOnnxExporter
    from faceswap_unet.testing import random_checkpoint

    model, dim = ARCHITECTURES[arch]
    if crop_size is not None:
        model = attrs.evolve(model, crop_size=crop_size)
    checkpoint = random_checkpoint(
        folder / f"{arch}.ckpt", model=model, embedding_dim=dim, seed=seed
    )
    fp32 = folder / arch / "fp32" / "unet.onnx"
    report = UnetOnnxExporter(
        OnnxExportConfig(output=str(fp32), checkpoint=str(checkpoint), seed=seed)
    ).export()
    if not int8:
        return Exports(checkpoint, fp32, None, dict(report.summary), None)
    calibration = _calibration_folder(folder / arch / "crops", model.crop_size, "arcface")
    quantized = folder / arch / "int8" / "unet.onnx"
    int8_report = UnetOnnxExporter(
        OnnxExportConfig(
            output=str(quantized),
            checkpoint=str(checkpoint),
            seed=seed,
            int8=True,
            calibration=str(calibration),
            max_delta=tuple(LOOSE_LIMITS),
        )
    ).export()
    return Exports(
        checkpoint, fp32, quantized, dict(report.summary), dict(int8_report.summary["int8"])
    )


def _interleaved(
    runs: dict[str, Callable[[], Any]], repeat: int, warmup: int
) -> dict[str, list[float]]:
    """Milliseconds of each run, the runs taking turns (a load change hits all of them)."""
    for _ in range(warmup):
        for run in runs.values():
            run()
            time.sleep(PAUSE_S)
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            samples[name].append(1000 * (time.perf_counter() - started))
            time.sleep(PAUSE_S)
    return samples


def _ratio(samples: dict[str, list[float]], slower: str, faster: str) -> float:
    """p50 of ``slower`` / p50 of ``faster`` (above 1: ``faster`` is faster)."""
    return round(float(np.median(samples[slower]) / np.median(samples[faster])), 2)


def _feeds(batches: tuple[int, ...], size: int, dim: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    out = []
    for batch in batches:
        source = rng.standard_normal((batch, dim)).astype(np.float32)
        source /= np.linalg.norm(source, axis=1, keepdims=True)
        out.append(
            {"target": rng.random((batch, 3, size, size), dtype=np.float32), "source": source}
        )
    return out


def _sessions(exports: Exports, threads: int, spin: bool) -> dict[str, Any]:
    runtime = OnnxRuntime(OnnxRuntimeConfig(threads=threads, spin=spin))
    suffix = "_spin" if spin else ""
    sessions = {f"onnxruntime{suffix}": runtime.load(exports.fp32)}
    if exports.int8 is not None:
        sessions[f"onnxruntime_int8{suffix}"] = runtime.load(exports.int8)
    return sessions


def time_batches(
    exports: Exports,
    batches: tuple[int, ...],
    *,
    threads: int,
    repeat: int,
    warmup: int,
    seed: int,
) -> list[dict[str, Any]]:
    """Torch eager, ONNX Runtime fp32 and int8 on the same inputs and thread count, per batch.

    ONNX Runtime runs twice: with the runtime's defaults (idle threads sleep), taking
    turns with torch; then, in sessions of their own, with spinning threads. A session
    that spins keeps its threads busy even between runs, which would slow whatever runs
    beside it, so those sessions live only while they are timed.
    """
    loaded = load_checkpoint_for_inference(exports.checkpoint)
    model = ExportModule(loaded.generator).eval()
    feeds = _feeds(batches, loaded.crop_size, loaded.embedding_dim, seed)
    sessions = _sessions(exports, threads, spin=False)
    samples: list[dict[str, list[float]]] = []
    diffs: list[float] = []
    for feed in feeds:
        tensors = (torch.from_numpy(feed["target"]), torch.from_numpy(feed["source"]))

        def run_torch(tensors: tuple[torch.Tensor, torch.Tensor] = tensors) -> Any:
            with torch.inference_mode():
                return model(*tensors)

        runs: dict[str, Callable[[], Any]] = {"torch": run_torch, **_runs(sessions, feed)}
        want = run_torch()[0].numpy()
        diffs.append(float(np.abs(sessions["onnxruntime"].run(feed)["output"] - want).max()))
        samples.append(_interleaved(runs, repeat, warmup))
    del sessions
    spinning = _sessions(exports, threads, spin=True)
    for timed, feed in zip(samples, feeds, strict=True):
        timed.update(_interleaved(_runs(spinning, feed), repeat, warmup))
    del spinning
    int8 = exports.int8 is not None
    return [
        _row(batch, timed, diff, int8)
        for batch, timed, diff in zip(batches, samples, diffs, strict=True)
    ]


def _runs(sessions: dict[str, Any], feed: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    def runner(session: Any) -> Callable[[], Any]:
        return lambda: session.run(feed)

    return {name: runner(session) for name, session in sessions.items()}


def _row(batch: int, samples: dict[str, list[float]], diff: float, int8: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"batch": batch}
    for name, values in samples.items():
        row[f"{name}_ms"] = _short(percentiles(values))
    row["speedup"] = _ratio(samples, "torch", "onnxruntime")
    row["speedup_spin"] = _ratio(samples, "torch", "onnxruntime_spin")
    if int8:
        row["int8_speedup"] = _ratio(samples, "onnxruntime", "onnxruntime_int8")
        row["int8_speedup_spin"] = _ratio(samples, "onnxruntime_spin", "onnxruntime_int8_spin")
        row["int8_vs_torch"] = _ratio(samples, "torch", "onnxruntime_int8")
    row["images_per_s"] = {
        name: round(1000 * batch / float(np.median(values)), 1) for name, values in samples.items()
    }
    row["max_abs_diff"] = diff
    return row


VIDEO_SWAP_BATCH = 4
"""``pipeline.video.swap_batch`` of the batched video runs (the default)."""


def video_speed(exports: Exports, frames: int) -> dict[str, Any]:
    """``faceswap bench --video`` (detection every 5 frames, 1280x720) with the checkpoint on
    torch (``unet``) and its fp32 and int8 exports (``onnx``), one after the other; each export
    swaps frame by frame (``*_batch1``, ``--swap-batch 1``) and in batches of up to
    :data:`VIDEO_SWAP_BATCH` waiting frames."""
    from faceswap_core.tools.video_bench import VideoBenchOptions, run_video_bench

    models: dict[str, tuple[str, Path, int]] = {"torch": ("unet", exports.checkpoint, 1)}
    exported = {"onnxruntime": exports.fp32, "onnxruntime_int8": exports.int8}
    for name, path in exported.items():
        if path is not None:
            models[f"{name}_batch1"] = ("onnx", path, 1)
            models[name] = ("onnx", path, VIDEO_SWAP_BATCH)
    out: dict[str, Any] = {}
    for name, (model, path, batch) in models.items():
        record = run_video_bench(
            VideoBenchOptions(
                frames=frames,
                detect_every=(5,),
                model=model,
                model_path=str(path),
                swap_batch=batch,
            )
        )
        (run,) = record["runs"]
        out[name] = {
            "fps": run["fps"],
            "stream_fps": record["stream"]["fps"],
            "stages_mean": run["stages_mean"],
            "swap_batch": record.get("swap_batch"),
            "precision": (record.get("swapper") or {}).get("precision"),
        }
    for name in exported:
        if name in out and out[f"{name}_batch1"]["fps"]:
            out[f"{name}_batching_gain"] = round(out[name]["fps"] / out[f"{name}_batch1"]["fps"], 2)
    out["size"] = "1280x720"
    out["detect_every"] = 5
    out["frames"] = frames
    return out


def inference_speed(
    *,
    archs: tuple[str, ...] = ("default",),
    crop_size: int | None = None,
    batches: tuple[int, ...] = (1, 8),
    threads: int = 1,
    repeat: int = 20,
    warmup: int = 3,
    int8: bool = True,
    video: bool = False,
    frames: int = 100,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Latency per batch of each architecture in torch (fp32, eager) and in its exports
    (fp32 and int8) on ONNX Runtime CPU, with the same inputs and threads; optionally the
    video path with each of them."""
    unknown = [arch for arch in archs if arch not in ARCHITECTURES]
    if unknown:
        raise ConfigError(
            f"unknown architecture {', '.join(unknown)}; known: {', '.join(ARCHITECTURES)}"
        )
    torch.manual_seed(seed)
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    records = []
    try:
        with tempfile.TemporaryDirectory(prefix="faceswap-bench-") as folder:
            for arch in archs:
                if progress is not None:
                    progress(f"{arch}: exporting")
                exports = export_architecture(
                    Path(folder), arch, crop_size=crop_size, int8=int8, seed=seed
                )
                if progress is not None:
                    progress(f"{arch}: timing batches {', '.join(map(str, batches))}")
                rows = time_batches(
                    exports, batches, threads=threads, repeat=repeat, warmup=warmup, seed=seed
                )
                generator = load_checkpoint_for_inference(exports.checkpoint).generator
                size = generator.config.crop_size
                record: dict[str, Any] = {
                    "arch": arch,
                    "crop_size": size,
                    "model": model_stats(generator, size),
                    "inference_form": exports.summary.get("inference_form"),
                    "results": rows,
                }
                if exports.int8_summary is not None:
                    record["int8"] = exports.int8_summary
                if video:
                    if progress is not None:
                        progress(f"{arch}: video (torch, onnx fp32, onnx int8)")
                    record["video"] = video_speed(exports, frames)
                records.append(record)
    finally:
        torch.set_num_threads(previous)
    flags = cpu_flags()
    return {
        "schema": 2,
        "threads": threads,
        "repeat": repeat,
        "warmup": warmup,
        "device": cpu_model(),
        "cpu_flags": [name for name, present in flags.items() if present],
        "usable_cpus": usable_cpus(),
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "speedup": "torch p50 / onnxruntime p50 (above 1: ONNX Runtime is faster); int8_speedup: "
        "onnxruntime fp32 p50 / int8 p50; *_spin: ONNX Runtime's idle threads spin, as torch's "
        "OpenMP threads do",
        "architectures": records,
    }


__all__ = ["ARCHITECTURES", "export_architecture", "inference_speed", "train_throughput"]
