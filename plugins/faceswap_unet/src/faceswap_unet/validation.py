"""Validation during training: which images validate, and scoring by core's metrics (no copies).

The trainer swaps fixed validation pairs on the aligned crops and hands the
results to the same metric classes ``faceswap eval`` runs
(:mod:`faceswap_core.eval.metrics`): SSIM and PSNR (identical crops count as
:data:`~faceswap_core.eval.metrics.PSNR_CAP_DB`) on reconstruction pairs, and
identity retrieval and cosines on swap pairs, against a
:class:`~faceswap_core.eval.retrieval.GalleryIndex` that leaves each pair's own
source and target images out. Only the names differ: training logs them as
``val/<name>`` with the names of :data:`TRAIN_NAMES`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import attrs
import numpy as np

from faceswap_core.errors import InputError
from faceswap_core.eval.metrics import IdentityMetric, PsnrMetric, SsimMetric
from faceswap_core.eval.retrieval import GalleryIndex
from faceswap_core.interfaces.eval import MetricValue, PairRecord
from faceswap_unet.data.samples import LfwSplit
from faceswap_unet.data.split import held_back

Array = np.ndarray[Any, Any]

TRAIN_NAMES: Mapping[str, str] = {
    "ssim": "ssim",
    "psnr": "psnr",
    "identity_top1": "id_retrieval_top1",
    "identity_top5": "id_retrieval_top5",
    "identity_cos_source": "identity_cosine",
    "identity_cos_target": "identity_cos_target",
}
"""Core's metric name -> the ``val/`` name training logs it under."""

OWN_METRICS: Mapping[str, bool] = {"loss_reconstruction": False, "lpips": False}
"""Validation numbers the trainer computes itself, with their direction (higher is better)."""


class ValidationChoice(NamedTuple):
    """Which images train and which validate (:func:`choose_validation`)."""

    train_indices: list[int]
    eval_split: LfwSplit
    eval_indices: list[int]
    source: str
    reason: str | None


def choose_validation(train: LfwSplit, val: LfwSplit) -> ValidationChoice:
    """The val split when it has 2+ identities, else held-back train images, else the train
    images themselves; ``reason`` says why when it is not the val split."""
    kept, held = held_back(train.by_identity())
    val_ids = {val.identity[i] for i in range(len(val))}
    if len(val_ids) >= 2:
        return ValidationChoice(
            list(range(len(train))), val, list(range(len(val))), "val split", None
        )
    if held:
        reason = (
            f"the val split has {len(val_ids)} identities (2 needed for identity metrics); "
            f"validating on {len(held)} held-back images of the train identities instead"
        )
        return ValidationChoice(kept, train, held, "held-back train images", reason)
    reason = (
        f"the val split has {len(val_ids)} identities and no train identity has a "
        "second image to hold back; validating on the training images themselves "
        "(the numbers measure fit, not generalisation)"
    )
    everything = list(range(len(train)))
    return ValidationChoice(everything, train, everything, "train images", reason)


def check_sizes(root: Path, train_images: int) -> None:
    """Refuse a dataset with nothing to train on (before anything runs)."""
    if not train_images:
        raise InputError(f"{root}: the train split has no images; prepare a dataset with faces")


@attrs.frozen
class EvalSet:
    """Fixed validation pairs: reconstruction (same identity) and swaps (another identity).

    :ivar indices: the images the pairs are drawn from.
    :ivar gallery: the images the retrieval gallery is built from (``indices``,
        plus the other images of the same identities when validating on
        held-back train images).
    """

    split: LfwSplit
    indices: list[int]
    recon: list[tuple[int, int]]
    swaps: list[tuple[int, int]]
    source: str
    reason: str | None
    gallery: list[int] = attrs.Factory(lambda self: list(self.indices), takes_self=True)


def eval_pairs(
    split: LfwSplit,
    indices: Sequence[int],
    max_pairs: int,
    sources: Sequence[int] | None = None,
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """``(recon, swaps)`` pairs as ``(target, source)`` indices, at most ``max_pairs`` each.

    Each image of ``indices`` is a reconstruction target (its source another
    image of the same person when there is one) and a swap target whose
    source comes from the next identity among ``sources`` (default
    ``indices``), taking that identity's images in turn. Identities with two
    or more images are preferred as sources, so the gallery keeps an entry
    for the source identity once the source image is left out and the pair
    can be scored.
    """
    groups: dict[int, list[int]] = {}
    for i in indices:
        groups.setdefault(split.identity[i], []).append(i)
    recon = []
    for i in indices:
        mates = [j for j in groups[split.identity[i]] if j != i]
        recon.append((i, mates[0] if mates else i))
    donors: dict[int, list[int]] = {}
    for i in indices if sources is None else sources:
        donors.setdefault(split.identity[i], []).append(i)
    names = sorted(donors)
    scorable = [name for name in names if len(donors[name]) >= 2]
    swaps: list[tuple[int, int]] = []
    turns: dict[int, int] = {}
    for i in indices:
        own = split.identity[i]
        pool = [name for name in scorable if name != own] or [n for n in names if n != own]
        if not pool:
            continue
        other = next((name for name in pool if name > own), pool[0])
        turn = turns.get(other, 0)
        turns[other] = turn + 1
        swaps.append((i, donors[other][turn % len(donors[other])]))
    return recon[:max_pairs], swaps[:max_pairs]


def reconstruction_values(outputs: Array, targets: Array) -> list[MetricValue]:
    """Core's SSIM and PSNR of uint8 output crops against their targets (N x H x W x 3)."""
    metrics = [SsimMetric(), PsnrMetric()]
    for n, (output, target) in enumerate(zip(outputs, targets, strict=True)):
        record = PairRecord(f"recon-{n}", "self", "", "", result_crop=output, target_crop=target)
        for metric in metrics:
            metric.update(record)
    return [value for metric in metrics for value in metric.results()]


def identity_records(
    eval_set: EvalSet,
    embeddings: Mapping[int, Array],
    outputs: Array,
) -> list[PairRecord]:
    """One cross record per swap pair, its gallery without the pair's own two images.

    :param embeddings: unit embeddings of the gallery images, by split index
        (every pair's source and target among them).
    :param outputs: unit embeddings of the swapped outputs, in ``eval_set.swaps`` order.
    """
    split = eval_set.split
    gallery = GalleryIndex(
        {split.paths[i]: (split.labels[i], embeddings[i]) for i in eval_set.gallery}
    )
    records = []
    for n, ((target, source), output) in enumerate(zip(eval_set.swaps, outputs, strict=True)):
        records.append(
            PairRecord(
                f"swap-{n}",
                "cross",
                split.labels[source],
                split.labels[target],
                result_embedding=output,
                source_embedding=embeddings[source],
                target_embedding=embeddings[target],
                gallery=gallery.without((split.paths[source], split.paths[target])),
            )
        )
    return records


def identity_values(records: Iterable[PairRecord]) -> list[MetricValue]:
    """Core's identity retrieval (top-1, top-5) and cosines over the swap records."""
    metric = IdentityMetric()
    for record in records:
        metric.update(record)
    return list(metric.results())


def logged(values: Iterable[MetricValue]) -> dict[str, float]:
    """``{"val/<train name>": value}``; NaN where nothing could be scored.

    NaN (``null`` in ``metrics.jsonl``) keeps the name present, so a config
    that picks its best checkpoint by it never fails on a missing metric, and
    the loop never counts NaN as an improvement.
    """
    return {
        f"val/{TRAIN_NAMES[value.name]}": math.nan if value.value is None else float(value.value)
        for value in values
        if value.name in TRAIN_NAMES
    }


def directions() -> dict[str, bool]:
    """``{"val/<name>": higher_is_better}`` of every validation metric training logs."""
    found = {
        f"val/{TRAIN_NAMES[value.name]}": bool(value.higher_is_better)
        for metric in (SsimMetric(), PsnrMetric(), IdentityMetric())
        for value in metric.results()
        if value.name in TRAIN_NAMES and value.higher_is_better is not None
    }
    return {**found, **{f"val/{name}": up for name, up in OWN_METRICS.items()}}


__all__ = [
    "OWN_METRICS",
    "TRAIN_NAMES",
    "EvalSet",
    "ValidationChoice",
    "check_sizes",
    "choose_validation",
    "directions",
    "eval_pairs",
    "identity_records",
    "identity_values",
    "logged",
    "reconstruction_values",
]
