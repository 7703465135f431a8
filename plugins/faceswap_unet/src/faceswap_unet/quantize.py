"""``faceswap export onnx --int8``: static int8 quantization of the export, and what it costs.

The fp32 export (validated against torch) is quantized with ONNX Runtime's
static quantization (``onnxruntime.quantization.quantize_static``): weights
int8 per output channel, activations uint8 with ranges calibrated (min/max)
on real aligned face crops, from the run's validation split or a folder.
Only convolutions are quantized, and not those with fewer than
:data:`THIN_CHANNELS` input or output channels (the stem on the RGB crop and
the RGB and mask heads): their int8 error lands on pixels directly and they
hold about 2 % of the work (``docs/export.md`` has the measurement).
Normalisation, identity injection and the blend stay float.

An int8 graph is only written when its departure from the fp32 export is
within ``--max-delta`` on held-out crops, measured with core's metrics
(:mod:`faceswap_core.eval.metrics`): the training recognizer's cosine
between the two outputs, each output's cosine to the source embedding,
SSIM and PSNR of the two outputs. Its speed is measured against the fp32
export on this machine and recorded with the CPU's int8 features (VNNI).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from faceswap_core.config.loader import load_config
from faceswap_core.errors import ConfigError, InputError
from faceswap_core.eval.metrics import psnr, ssim
from faceswap_core.experiment.env import cpu_flags, cpu_model, usable_cpus
from faceswap_core.export.verify import VerificationError
from faceswap_core.io.decode import decode, decode_suffixes
from faceswap_core.pipeline.timing import percentiles
from faceswap_core.plugin.context import BuildContext
from faceswap_core.plugin.kinds import DATASET
from faceswap_core.runtime.config import OnnxRuntimeConfig
from faceswap_core.runtime.onnxruntime import OnnxRuntime, OnnxSession
from faceswap_core.swappers.blobs import from_blob

Array = np.ndarray[Any, Any]
Embed = Callable[[Array], Array]
"""N x 3 x S x S crops in [0, 1] -> N x D unit embeddings (the training recognizer)."""

THIN_CHANNELS = 8
"""Convolutions with fewer input or output channels than this stay float."""

HOLDOUT_EVERY = 5
"""Every fifth crop is held out of calibration to measure the int8 graph's departure."""

MIN_CROPS = 4
SPEED_REPEAT = 10
SPEED_WARMUP = 2

FORMATS = ("qdq", "qoperator")


@attrs.frozen(eq=False)
class Calibration:
    """Aligned face crops for calibration and the held-out ones for the delta.

    :ivar crops: N x 3 x S x S float32 in [0, 1], the model's crop size.
    :ivar embeddings: N x D unit embeddings of the crops by the training recognizer.
    :ivar source: where the crops came from (``val split of RUN`` or a folder).
    :ivar embed: the training recognizer, which embedded them (and embeds outputs for the delta).
    """

    crops: Array
    embeddings: Array
    source: str
    embed: Embed

    def __len__(self) -> int:
        return int(self.crops.shape[0])

    def split(self) -> tuple[list[int], list[int]]:
        """(calibration indices, held-out indices): every :data:`HOLDOUT_EVERY`-th is held out."""
        held = [i for i in range(len(self)) if i % HOLDOUT_EVERY == HOLDOUT_EVERY - 1]
        if len(held) < 2:  # too few crops to spare any: measure on all of them
            return list(range(len(self))), list(range(len(self)))
        return [i for i in range(len(self)) if i not in held], held

    def feeds(self, indices: Sequence[int]) -> list[dict[str, Array]]:
        """One batch-1 feed per index: its crop as target, the next crop's identity as source."""
        out = []
        for position, index in enumerate(indices):
            donor = indices[(position + 1) % len(indices)]
            out.append(
                {
                    "target": self.crops[index : index + 1],
                    "source": self.embeddings[donor : donor + 1],
                }
            )
        return out


def _resized(image: Array, size: int) -> Array:
    import cv2

    if image.shape[:2] != (size, size):
        side = min(image.shape[:2])
        top, left = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
        square = image[top : top + side, left : left + side]
        image = cv2.resize(
            square,
            (size, size),
            interpolation=cv2.INTER_AREA if side > size else cv2.INTER_LINEAR,
        )
    return np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float32) / np.float32(255.0)


def folder_crops(folder: Path, size: int, limit: int) -> tuple[Array, str]:
    """Up to ``limit`` images of ``folder`` (sorted by name), each squared and resized to ``size``.

    :raises InputError: the folder is missing or holds fewer than :data:`MIN_CROPS` images.
    """
    if not folder.is_dir():
        raise InputError(f"--calibration {folder}: no such folder of face crops")
    suffixes = set(decode_suffixes())
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
    if len(files) < MIN_CROPS:
        raise InputError(
            f"--calibration {folder} holds {len(files)} images; int8 calibration needs at "
            f"least {MIN_CROPS} aligned face crops"
        )
    crops = [_resized(decode(path, name=str(path)), size) for path in files[:limit]]
    return np.stack(crops), f"{folder} ({len(crops)} of {len(files)} images)"


def run_folder(checkpoint: Path) -> Path | None:
    """The run a checkpoint belongs to (``RUN/checkpoints/step-N.ckpt`` -> ``RUN``), if any."""
    for candidate in (checkpoint, checkpoint.parent, checkpoint.parent.parent):
        if (candidate / "config.yaml").is_file():
            return candidate
    return None


def run_crops(run: Path, context: BuildContext, size: int, limit: int) -> tuple[Array, str]:
    """Up to ``limit`` crops of the validation split of the dataset the run was trained on.

    :raises ConfigError: the run's dataset is not here or its validation split is too small
        (the message says to pass ``--calibration DIR``).
    """
    from faceswap_unet.data.dataset import LfwDataset
    from faceswap_unet.data.samples import LfwSplit

    experiment, _ = load_config(run / "config.yaml", check_plugins=False)
    ref = experiment.data or {"type": "lfw"}
    advice = "pass --calibration DIR (a folder of aligned face crops)"
    try:
        dataset = context.plugins.build(DATASET, ref, context=context, path="$.data")
        if not isinstance(dataset, LfwDataset):
            raise ConfigError(f"the run's dataset {ref.get('type')!r} is not an lfw-style one")
        split = LfwSplit(dataset.open(dataset.root()), "val")
    except (ConfigError, InputError, OSError) as exc:
        raise ConfigError(
            f"--int8 calibrates on the validation split of {run}'s dataset, which cannot be "
            f"read here ({exc}); {advice}"
        ) from None
    if len(split) < MIN_CROPS:
        raise ConfigError(
            f"--int8: the validation split of {run}'s dataset has {len(split)} crops (at least "
            f"{MIN_CROPS} needed); {advice}"
        )
    picked = np.linspace(0, len(split) - 1, min(limit, len(split))).round().astype(int)
    crops = [_resized(split.image(int(i)), size) for i in dict.fromkeys(picked.tolist())]
    return np.stack(crops), f"val split of {run} ({len(crops)} of {len(split)} crops)"


def calibration_set(crops: Array, embed: Embed, source: str, batch: int = 16) -> Calibration:
    """The crops with their training-recognizer embeddings."""
    embeddings = np.concatenate(
        [embed(crops[start : start + batch]) for start in range(0, len(crops), batch)]
    ).astype(np.float32)
    return Calibration(np.ascontiguousarray(crops, dtype=np.float32), embeddings, source, embed)


# -- quantization ----------------------------------------------------------------------------


def thin_convolutions(proto: Any) -> list[str]:
    """Names of the Conv nodes with fewer than :data:`THIN_CHANNELS` input or output channels."""
    shapes = {init.name: tuple(init.dims) for init in proto.graph.initializer}
    thin = []
    for node in proto.graph.node:
        if node.op_type != "Conv" or len(node.input) < 2:
            continue
        shape = shapes.get(node.input[1])
        if shape is not None and len(shape) == 4 and min(shape[0], shape[1]) < THIN_CHANNELS:
            thin.append(node.name)
    return thin


class _Reader:
    """``quantize_static``'s calibration data reader over prepared feeds."""

    def __init__(self, feeds: Sequence[dict[str, Array]]) -> None:
        self._feeds = iter(feeds)

    def get_next(self) -> dict[str, Array] | None:
        return next(self._feeds, None)


def quantize(
    graph: bytes, feeds: Sequence[dict[str, Array]], *, fmt: str
) -> tuple[bytes, dict[str, Any]]:
    """The int8 graph of ``graph`` calibrated on ``feeds``, and what was quantized.

    :param fmt: ``qdq`` or ``qoperator``.
    """
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if fmt not in FORMATS:
        raise ConfigError(f"unknown int8 format {fmt!r}; use one of {', '.join(FORMATS)}")
    with tempfile.TemporaryDirectory(prefix="faceswap-int8-") as folder:
        raw, prepared, out = (Path(folder) / name for name in ("fp32.onnx", "pre.onnx", "q.onnx"))
        raw.write_bytes(graph)
        quant_pre_process(str(raw), str(prepared), skip_symbolic_shape=False)
        proto = onnx.load(str(prepared))
        keep = thin_convolutions(proto)
        convs = [node.name for node in proto.graph.node if node.op_type == "Conv"]
        quantize_static(
            str(prepared),
            str(out),
            _Reader(feeds),
            quant_format=QuantFormat.QDQ if fmt == "qdq" else QuantFormat.QOperator,
            op_types_to_quantize=["Conv"],
            nodes_to_exclude=keep,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
        data = out.read_bytes()
    return data, {
        "format": fmt,
        "quantized_convolutions": len(convs) - len(keep),
        "float_convolutions": keep,
        "weights": "int8, symmetric, per output channel",
        "activations": "uint8, min/max calibration",
    }


# -- what int8 costs -------------------------------------------------------------------------


def _outputs(session: OnnxSession, feeds: Sequence[dict[str, Array]]) -> Array:
    return np.concatenate([session.run(feed)["output"] for feed in feeds])


def measure_delta(
    fp32: OnnxSession, int8: OnnxSession, feeds: Sequence[dict[str, Array]], embed: Embed
) -> dict[str, Any]:
    """How the int8 graph's outputs depart from the fp32 graph's on the same pairs.

    Identity by the training recognizer (``embed``); SSIM and PSNR by core's metrics on
    the uint8 crops the pipeline would paste.
    """
    ours, theirs = _outputs(int8, feeds), _outputs(fp32, feeds)
    sources = np.concatenate([feed["source"] for feed in feeds])
    e_int8, e_fp32 = embed(ours), embed(theirs)
    between = np.sum(e_int8 * e_fp32, axis=1)
    to_source_int8 = np.sum(e_int8 * sources, axis=1)
    to_source_fp32 = np.sum(e_fp32 * sources, axis=1)
    images_int8 = [from_blob(ours[i : i + 1]) for i in range(len(ours))]
    images_fp32 = [from_blob(theirs[i : i + 1]) for i in range(len(theirs))]
    ssims = [ssim(a, b) for a, b in zip(images_int8, images_fp32, strict=True)]
    psnrs = [psnr(a, b) for a, b in zip(images_int8, images_fp32, strict=True)]

    def r(value: Any) -> float:
        return round(float(value), 5)

    measured = {
        "pairs": len(feeds),
        "identity_cos": r(between.mean()),
        "identity_cos_min": r(between.min()),
        "identity_cos_source": {"fp32": r(to_source_fp32.mean()), "int8": r(to_source_int8.mean())},
        "ssim": r(np.mean(ssims)),
        "ssim_min": r(np.min(ssims)),
        "psnr": r(np.mean(psnrs)),
        "psnr_min": r(np.min(psnrs)),
        "max_abs_diff": r(np.abs(ours - theirs).max()),
    }
    measured["deltas"] = {
        "identity": r(1.0 - between.mean()),
        "identity_source": r(to_source_fp32.mean() - to_source_int8.mean()),
        "ssim": r(1.0 - np.mean(ssims)),
        "psnr": measured["psnr"],
    }
    return measured


def check_delta(delta: dict[str, Any], limits: dict[str, float]) -> None:
    """Raise :class:`VerificationError` (exit 5) naming every limit the int8 graph breaks."""
    values = delta["deltas"]
    broken = [
        f"{name} {values[name]:.4g} > {limit:g}"
        for name, limit in limits.items()
        if name != "psnr" and values[name] > limit
    ]
    if values["psnr"] < limits["psnr"]:
        broken.append(f"psnr {values['psnr']:.3g} dB < {limits['psnr']:g} dB")
    if broken:
        raise VerificationError(
            f"the int8 graph departs from the fp32 export beyond --max-delta on "
            f"{delta['pairs']} held-out pairs: {'; '.join(broken)}; nothing written. Calibrate "
            "on more crops of the deployment's faces (--calibration DIR), or keep the fp32 export"
        )


def measure_speed(
    fp32: bytes,
    int8: bytes,
    feed: dict[str, Array],
    *,
    threads: int | None = None,
    repeat: int = SPEED_REPEAT,
    warmup: int = SPEED_WARMUP,
) -> dict[str, Any]:
    """p50 latency of both graphs on ONNX Runtime CPU, runs interleaved, and their ratio."""
    count = threads or usable_cpus()
    runtime = OnnxRuntime(OnnxRuntimeConfig(threads=count))
    sessions = {"fp32": runtime.load(fp32), "int8": runtime.load(int8)}
    for _ in range(warmup):
        for session in sessions.values():
            session.run(feed)
    samples: dict[str, list[float]] = {name: [] for name in sessions}
    for _ in range(repeat):
        for name, session in sessions.items():
            started = time.perf_counter()
            session.run(feed)
            samples[name].append(1000.0 * (time.perf_counter() - started))
    p50 = {name: percentiles(values)["p50_ms"] for name, values in samples.items()}
    flags = cpu_flags()
    return {
        "speedup": round(p50["fp32"] / p50["int8"], 2),
        "fp32_ms": round(p50["fp32"], 3),
        "int8_ms": round(p50["int8"], 3),
        "batch": int(feed["target"].shape[0]),
        "threads": count,
        "repeat": repeat,
        "cpu": cpu_model(),
        "vnni": flags["avx512_vnni"] or flags["avx_vnni"],
        "cpu_flags": [name for name, present in flags.items() if present],
    }


__all__ = [
    "THIN_CHANNELS",
    "Calibration",
    "calibration_set",
    "check_delta",
    "folder_crops",
    "measure_delta",
    "measure_speed",
    "quantize",
    "run_crops",
    "run_folder",
    "thin_convolutions",
]
