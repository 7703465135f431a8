"""Validation metrics of the trainer, as small numpy-in / float-out functions.

They are written so core's evaluation metrics can replace them one by one:
SSIM and PSNR from scikit-image on RGB ``uint8`` crops, identity cosine and
top-1 retrieval on L2-normalised embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]


def ssim(a: Array, b: Array) -> float:
    """Structural similarity of two RGB ``uint8`` images (scikit-image, data range 255)."""
    from skimage.metrics import structural_similarity

    return float(structural_similarity(a, b, channel_axis=2, data_range=255))  # type: ignore[no-untyped-call]


def psnr(a: Array, b: Array) -> float:
    """Peak signal-to-noise ratio in dB of two RGB ``uint8`` images (scikit-image)."""
    from skimage.metrics import peak_signal_noise_ratio

    if np.array_equal(a, b):
        return float("inf")
    return float(peak_signal_noise_ratio(a, b, data_range=255))  # type: ignore[no-untyped-call]


def identity_cosine(outputs: Array, sources: Array) -> float:
    """Mean cosine similarity between matching rows of two embedding matrices."""
    a = outputs / np.linalg.norm(outputs, axis=1, keepdims=True)
    b = sources / np.linalg.norm(sources, axis=1, keepdims=True)
    return float(np.mean(np.sum(a * b, axis=1)))


def retrieval_top1(
    queries: Array, query_labels: Sequence[int], gallery: Array, gallery_labels: Sequence[int]
) -> float:
    """Share of queries whose most similar gallery embedding has the query's label."""
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    g = gallery / np.linalg.norm(gallery, axis=1, keepdims=True)
    nearest = np.argmax(q @ g.T, axis=1)
    hits = [gallery_labels[n] == label for n, label in zip(nearest, query_labels, strict=True)]
    return float(np.mean(hits))


def identity_centroids(embeddings: Array, labels: Sequence[int]) -> tuple[Array, list[int]]:
    """One normalised mean embedding per label (the retrieval gallery)."""
    names = sorted(set(labels))
    rows = []
    for name in names:
        mean = embeddings[[i for i, label in enumerate(labels) if label == name]].mean(axis=0)
        rows.append(mean / np.linalg.norm(mean))
    return np.stack(rows), names


HIGHER_IS_BETTER: dict[str, bool] = {
    "ssim": True,
    "psnr": True,
    "lpips": False,
    "identity_cosine": True,
    "id_retrieval_top1": True,
    "loss_reconstruction": False,
}


__all__ = [
    "HIGHER_IS_BETTER",
    "identity_centroids",
    "identity_cosine",
    "psnr",
    "retrieval_top1",
    "ssim",
]
