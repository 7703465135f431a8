"""Core's evaluation metrics: identity, pose, expression, SSIM / PSNR, latency, failures.

Each class implements :class:`~faceswap_core.interfaces.eval.Metric` and is
registered by name in :mod:`faceswap_core.eval.hooks`. Definitions follow the
face-swap literature (FaceShifter, SimSwap): identity retrieval and pose
error on cross-identity pairs, reconstruction quality on self pairs.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping, Sequence
from typing import TypeVar

import numpy as np

from faceswap_core.eval.pose import expression_error, head_pose, pose_error
from faceswap_core.eval.retrieval import retrieval_rank
from faceswap_core.experiment.env import cpu_model, usable_cpus
from faceswap_core.interfaces.eval import FAILURES, MetricValue, Need, PairKind, PairRecord
from faceswap_core.interfaces.face import Image
from faceswap_core.pipeline.timing import percentiles

CROSS: frozenset[PairKind] = frozenset({"cross"})
SELF: frozenset[PairKind] = frozenset({"self"})
BOTH: frozenset[PairKind] = frozenset({"cross", "self"})

T = TypeVar("T")

PSNR_CAP_DB = 100.0
"""PSNR of identical crops is infinite; it is reported as this many dB."""


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if values else None


def _field(value: T | None, field: str, metric: str) -> T:
    """A record field the metric needs (the evaluator leaves out what no metric asked for)."""
    if value is None:
        raise ValueError(f"metric {metric!r} needs the record's {field}, which is missing")
    return value


class IdentityMetric:
    """Identity retrieval top-1 / top-5 and mean cosine to the source and the target.

    The swapped face's embedding is ranked against one embedding per identity
    (the mean of that identity's other images); a hit means the source
    identity ranks first (top-1) or within the first five (top-5).
    """

    name = "identity"
    pairs = CROSS
    needs: frozenset[Need] = frozenset({"embeddings"})

    def __init__(self) -> None:
        self.ranks: list[int] = []
        self.cos_source: list[float] = []
        self.cos_target: list[float] = []
        self.unscored = 0

    def update(self, record: PairRecord) -> Mapping[str, float]:
        result = _field(record.result_embedding, "result_embedding", self.name)
        values: dict[str, float] = {}
        if record.source_embedding is not None:
            values["identity_cos_source"] = float(np.dot(result, record.source_embedding))
            self.cos_source.append(values["identity_cos_source"])
        if record.target_embedding is not None:
            values["identity_cos_target"] = float(np.dot(result, record.target_embedding))
            self.cos_target.append(values["identity_cos_target"])
        if record.source_label in record.gallery:
            rank = retrieval_rank(result, record.gallery, record.source_label)
            self.ranks.append(rank)
            values["identity_rank"] = float(rank)
        else:
            self.unscored += 1
        return values

    def results(self) -> Sequence[MetricValue]:
        n = len(self.ranks)
        top1 = sum(rank == 1 for rank in self.ranks) / n if n else None
        top5 = sum(rank <= 5 for rank in self.ranks) / n if n else None
        details = {"unscored_pairs": self.unscored} if self.unscored else {}
        return [
            MetricValue(
                "identity_top1",
                top1,
                "fraction",
                "share of cross pairs whose swapped face is nearest (cosine) to the source "
                "identity in a gallery of one mean embedding per identity, built from images "
                "other than the pair's source and target",
                higher_is_better=True,
                count=n,
                details=details,
            ),
            MetricValue(
                "identity_top5",
                top5,
                "fraction",
                "share of cross pairs whose source identity is among the 5 gallery identities "
                "nearest to the swapped face",
                higher_is_better=True,
                count=n,
                details=details,
            ),
            MetricValue(
                "identity_cos_source",
                _mean(self.cos_source),
                "cosine",
                "mean cosine similarity between the embeddings of the swapped face and the "
                "source face",
                higher_is_better=True,
                count=len(self.cos_source),
            ),
            MetricValue(
                "identity_cos_target",
                _mean(self.cos_target),
                "cosine",
                "mean cosine similarity between the embeddings of the swapped face and the "
                "target face it replaced (lower: less of the target identity left)",
                higher_is_better=False,
                count=len(self.cos_target),
            ),
        ]


class MeanMetric(abc.ABC):
    """A metric that is the mean of one per-pair number (the common case).

    Subclasses set the class attributes and implement :meth:`score`.
    """

    name: str
    pairs: frozenset[PairKind]
    needs: frozenset[Need]
    value_name: str
    unit: str
    definition: str
    higher_is_better: bool

    def __init__(self) -> None:
        self.values: list[float] = []

    @abc.abstractmethod
    def score(self, record: PairRecord) -> float:
        """This metric's number for one pair."""

    def update(self, record: PairRecord) -> Mapping[str, float]:
        value = self.score(record)
        self.values.append(value)
        return {self.value_name: value}

    def results(self) -> Sequence[MetricValue]:
        return [
            MetricValue(
                self.value_name,
                _mean(self.values),
                self.unit,
                self.definition,
                higher_is_better=self.higher_is_better,
                count=len(self.values),
            )
        ]


class PoseErrorMetric(MeanMetric):
    """Head pose kept from the target: L2 of the (yaw, pitch, roll) difference in degrees."""

    name = "pose_error"
    pairs = CROSS
    needs: frozenset[Need] = frozenset({"landmarks"})
    value_name = "pose_error_deg"
    unit = "degrees"
    definition = (
        "mean L2 distance between the (yaw, pitch, roll) of the swapped face and of the "
        "target, each from solvePnP of 68 landmarks against a 3D mean face"
    )
    higher_is_better = False

    def score(self, record: PairRecord) -> float:
        size = _field(record.image_size, "image_size", self.name)
        result = head_pose(_field(record.result_landmarks, "result_landmarks", self.name), size)
        target = head_pose(_field(record.target_landmarks, "target_landmarks", self.name), size)
        return pose_error(result, target)


class ExpressionErrorMetric(MeanMetric):
    """Expression kept from the target: landmark distance after rigid alignment."""

    name = "expression_error"
    pairs = CROSS
    needs: frozenset[Need] = frozenset({"landmarks"})
    value_name = "expression_error"
    unit = "inter-ocular distance"
    definition = (
        "mean distance between the 68 landmarks of the swapped face and of the target "
        "after a similarity fit on the nose and eye corners, divided by the target's "
        "outer-eye-corner distance"
    )
    higher_is_better = False

    def score(self, record: PairRecord) -> float:
        return expression_error(
            _field(record.result_landmarks, "result_landmarks", self.name),
            _field(record.target_landmarks, "target_landmarks", self.name),
        )


def _crops(record: PairRecord, metric: str) -> tuple[Image, Image]:
    result = _field(record.result_crop, "result_crop", metric)
    target = _field(record.target_crop, "target_crop", metric)
    if result.shape != target.shape:
        raise ValueError(
            f"metric {metric!r}: result crop {result.shape} and target crop "
            f"{target.shape} differ in shape"
        )
    return result, target


def ssim(result: Image, target: Image) -> float:
    """Structural similarity of two RGB ``uint8`` images (scikit-image, 7 x 7 window)."""
    from skimage.metrics import structural_similarity

    return float(structural_similarity(result, target, channel_axis=2, data_range=255))  # type: ignore[no-untyped-call]


def psnr(result: Image, target: Image) -> float:
    """Peak signal-to-noise ratio in dB of two RGB ``uint8`` images, capped at 100 dB."""
    from skimage.metrics import peak_signal_noise_ratio

    if np.array_equal(result, target):
        return PSNR_CAP_DB
    value = float(peak_signal_noise_ratio(target, result, data_range=255))  # type: ignore[no-untyped-call]
    return min(value, PSNR_CAP_DB) if math.isfinite(value) else PSNR_CAP_DB


class SsimMetric(MeanMetric):
    """SSIM of the self-swap reconstruction against the target, on the aligned face crop."""

    name = "ssim"
    pairs = SELF
    needs: frozenset[Need] = frozenset({"crops"})
    value_name = "ssim"
    unit = "index (-1..1)"
    definition = (
        "mean structural similarity (scikit-image, 7 x 7 window, RGB) between the self-"
        "swap result and the target on the 112 px ArcFace-aligned face crop"
    )
    higher_is_better = True

    def score(self, record: PairRecord) -> float:
        return ssim(*_crops(record, self.name))


class PsnrMetric(MeanMetric):
    """PSNR of the self-swap reconstruction against the target, on the aligned face crop."""

    name = "psnr"
    pairs = SELF
    needs: frozenset[Need] = frozenset({"crops"})
    value_name = "psnr"
    unit = "dB"
    definition = (
        "mean peak signal-to-noise ratio (scikit-image, data range 255) between the self-"
        f"swap result and the target on the 112 px aligned face crop, capped at "
        f"{PSNR_CAP_DB:g} dB"
    )
    higher_is_better = True

    def score(self, record: PairRecord) -> float:
        return psnr(*_crops(record, self.name))


class LatencyMetric:
    """Per-stage latency percentiles and frames per second of the swap pipeline."""

    name = "latency"
    pairs = BOTH
    needs: frozenset[Need] = frozenset({"timings"})

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {}
        self.totals: list[float] = []

    def update(self, record: PairRecord) -> Mapping[str, float]:
        for stage, ms in record.timings_ms.items():
            self.samples.setdefault(stage, []).append(float(ms))
        total = float(sum(record.timings_ms.values()))
        self.totals.append(total)
        return {"latency_ms": total}

    def results(self) -> Sequence[MetricValue]:
        summary = percentiles(self.totals) if self.totals else None
        mean = summary["mean_ms"] if summary else None
        details = {
            "stages": {stage: percentiles(values) for stage, values in self.samples.items()},
            "total": summary,
            "device": cpu_model(),
            "threads": usable_cpus(),
        }
        return [
            MetricValue(
                "fps",
                round(1000.0 / mean, 3) if mean else None,
                "frames/s",
                "1000 / mean milliseconds per swapped image (decode, detect, landmarks, align, "
                "swap, paste; the source identity is prepared once per source)",
                higher_is_better=True,
                count=len(self.totals),
                gate_by_default=False,
                details=details,
            ),
            MetricValue(
                "latency_ms",
                mean,
                "ms",
                "mean milliseconds per swapped image over the same stages; per-stage "
                "p50/p95/p99 in details",
                higher_is_better=False,
                count=len(self.totals),
                gate_by_default=False,
                details=details,
            ),
        ]


class FailuresMetric:
    """Pairs that produced no result, by reason; never dropped silently."""

    name = "failures"
    pairs = BOTH
    needs: frozenset[Need] = frozenset({"failures"})

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.seen = 0

    def update(self, record: PairRecord) -> Mapping[str, float]:
        self.seen += 1
        if record.failure is not None:
            self.counts[record.failure] = self.counts.get(record.failure, 0) + 1
        return {}

    def results(self) -> Sequence[MetricValue]:
        total = sum(self.counts.values())
        return [
            MetricValue(
                "failures",
                float(total),
                "pairs",
                "pairs with no result: no face in the source, in the target or in the swapped "
                "image, or the swap raised (counts by reason in details)",
                higher_is_better=False,
                count=self.seen,
                details={
                    kind: self.counts.get(kind, 0) for kind in (*FAILURES, *sorted(self.counts))
                },
            )
        ]


__all__ = [
    "PSNR_CAP_DB",
    "ExpressionErrorMetric",
    "FailuresMetric",
    "IdentityMetric",
    "LatencyMetric",
    "MeanMetric",
    "PoseErrorMetric",
    "PsnrMetric",
    "SsimMetric",
    "psnr",
    "ssim",
]
