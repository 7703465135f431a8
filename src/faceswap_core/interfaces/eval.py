"""Evaluation slot: metrics score evaluated pairs and report named, defined values.

The evaluator (``faceswap_core.eval``) swaps each pair, measures what the
metrics ask for (``needs``) and hands every metric one :class:`PairRecord`
per pair. A metric returns that pair's numbers (columns of ``metrics.csv``)
and, at the end, its aggregate :class:`MetricValue` entries, each with its
unit and definition so ``metrics.json`` explains itself. A metric that
cannot run here (LPIPS without its backbone weights) still reports, with
``value=None`` and the reason in ``unavailable``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

from faceswap_core.interfaces.face import FloatArray, Image

PairKind = Literal["cross", "self"]
"""``cross``: source and target are different people; ``self``: the same person, two images."""

PAIR_KINDS: tuple[PairKind, ...] = ("cross", "self")

Need = Literal["embeddings", "landmarks", "crops", "timings", "failures"]
"""What a metric reads from a record; the evaluator computes only what some metric needs.

``failures`` also asks for the records of failed pairs (every other metric sees
only pairs that were swapped and found again in the result).
"""

NEEDS: tuple[Need, ...] = ("embeddings", "landmarks", "crops", "timings", "failures")

FAILURES: tuple[str, ...] = (
    "unreadable_image",
    "no_face_source",
    "no_face_target",
    "no_face_result",
    "swap_failed",
)
"""Why a pair has no result: an image could not be decoded; no face in the source,
in the target or in the swapped image (the swap destroyed it); or the swapper raised."""


@attrs.frozen(eq=False)
class PairRecord:
    """One evaluated pair as metrics see it.

    Landmarks are 68 x 2 in image coordinates of ``image_size`` (height,
    width). Crops are the target face and the same region of the result,
    warped with one transform (the target face's ArcFace alignment), so they
    compare pixel for pixel. ``gallery`` maps every identity to one
    L2-normalised embedding built from images other than this pair's source
    and target. Fields a metric did not ask for are ``None``.
    """

    pair_id: str
    kind: PairKind
    source_label: str
    target_label: str
    failure: str | None = None
    result_embedding: FloatArray | None = None
    source_embedding: FloatArray | None = None
    target_embedding: FloatArray | None = None
    gallery: Mapping[str, FloatArray] = attrs.field(factory=dict)
    result_landmarks: FloatArray | None = None
    target_landmarks: FloatArray | None = None
    image_size: tuple[int, int] | None = None
    result_crop: Image | None = None
    target_crop: Image | None = None
    timings_ms: Mapping[str, float] = attrs.field(factory=dict)

    @property
    def ok(self) -> bool:
        return self.failure is None


@attrs.frozen
class MetricValue:
    """One reported number with what it means.

    :ivar name: the key in ``metrics.json`` (``identity_top1``).
    :ivar value: the aggregate, or ``None`` when nothing could be scored or the
        metric is unavailable.
    :ivar unit: ``fraction``, ``degrees``, ``dB``, ``frames/s``...
    :ivar definition: one sentence a reader of the report can check.
    :ivar higher_is_better: direction for comparisons and regression gates;
        ``None`` for counts with no direction.
    :ivar count: how many pairs contributed.
    :ivar unavailable: why there is no value (missing weights, missing plugin).
    :ivar gate_by_default: checked by ``--baseline`` without an explicit
        ``--tolerance`` (false for machine-dependent numbers such as FPS).
    :ivar details: extra JSON-ready facts (per-stage latency, failure kinds).
    """

    name: str
    value: float | None
    unit: str
    definition: str
    higher_is_better: bool | None = None
    count: int = 0
    unavailable: str | None = None
    gate_by_default: bool = True
    details: Mapping[str, Any] = attrs.field(factory=dict)


@runtime_checkable
class Metric(Protocol):
    """Scores pairs; built fresh for each evaluation, so it may keep running sums.

    :ivar name: the component name (``identity``); its values may have other names.
    :ivar pairs: the pair kinds it scores.
    :ivar needs: what the evaluator must compute for it (see :data:`Need`).
    """

    name: str
    pairs: frozenset[PairKind]
    needs: frozenset[Need]

    def update(self, record: PairRecord) -> Mapping[str, float]:
        """Score one pair; returns its per-pair values (``metrics.csv`` columns)."""
        ...

    def results(self) -> Sequence[MetricValue]:
        """The aggregates over every pair seen."""
        ...


__all__ = [
    "FAILURES",
    "NEEDS",
    "PAIR_KINDS",
    "Metric",
    "MetricValue",
    "Need",
    "PairKind",
    "PairRecord",
]
