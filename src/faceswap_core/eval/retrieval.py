"""Identity retrieval: the gallery of known identities a swapped face is ranked against.

Every evaluated image's largest face is embedded once, in the images' order
(:class:`IdentityGallery`). :class:`GalleryIndex` keeps one mean embedding
per identity and gives each pair its gallery with the pair's own source and
target images left out, so a swapped face is never matched against the very
image it was made from. :func:`retrieval_rank` ranks the source identity
among the gallery's identities. ``faceswap eval`` and training validation
(faceswap-unet) both use these; :class:`~faceswap_core.eval.metrics.IdentityMetric`
turns the ranks into top-1 / top-5.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs
import numpy as np

from faceswap_core.interfaces import Detector, FloatArray, Image, Recognizer


def retrieval_rank(result: FloatArray, gallery: Mapping[str, FloatArray], label: str) -> int:
    """1-based rank of ``label`` among gallery identities by cosine similarity to ``result``.

    Ties count against the true identity (a tie with another identity is not a hit).
    """
    if label not in gallery:
        raise KeyError(label)
    probe = np.asarray(result, dtype=np.float64)
    scores = {
        name: float(np.dot(probe, np.asarray(vector, np.float64)))
        for name, vector in gallery.items()
    }
    own = scores[label]
    return 1 + sum(1 for name, score in scores.items() if name != label and score >= own)


class GalleryIndex:
    """The retrieval gallery: one mean embedding per identity, without the pair's own images.

    Built once from every evaluated image (``{key: (label, embedding)}``);
    :meth:`without` gives the gallery of one pair with that pair's source and
    target images left out, so a swapped face is never matched against the
    very image it was made from. An identity whose only images are the pair's
    has no gallery entry, and :class:`IdentityMetric` counts the pair
    unscored. ``faceswap eval`` and training validation both use this class.
    """

    def __init__(self, embeddings: Mapping[str, tuple[str, FloatArray]]) -> None:
        self.embeddings = dict(embeddings)
        self.sums: dict[str, np.ndarray] = {}
        self.counts: dict[str, int] = {}
        for label, vector in self.embeddings.values():
            self.sums[label] = self.sums.get(label, 0) + np.asarray(vector, np.float64)
            self.counts[label] = self.counts.get(label, 0) + 1

    def without(self, keys: Iterable[str]) -> dict[str, FloatArray]:
        """``{label: unit mean embedding}`` of every identity, the images ``keys`` left out."""
        sums = dict(self.sums)
        counts = dict(self.counts)
        for key in set(keys):
            if key in self.embeddings:
                label, vector = self.embeddings[key]
                sums[label] = sums[label] - np.asarray(vector, np.float64)
                counts[label] -= 1
        gallery: dict[str, FloatArray] = {}
        for label, total in sums.items():
            norm = float(np.linalg.norm(total))
            if counts[label] > 0 and norm > 0:
                gallery[label] = (total / norm).astype(np.float32)
        return gallery


@attrs.frozen(eq=False)
class Embedded:
    """One gallery image's embedding (``None``: no face), or why it could not be read."""

    key: str
    label: str
    embedding: FloatArray | None
    unreadable: str | None = None


def embed_largest_face(
    image: Image, detector: Detector, recognizer: Recognizer
) -> FloatArray | None:
    """The embedding of the image's largest detected face; ``None`` without a face."""
    faces = detector.detect(image)
    face = max(faces, key=lambda f: f.area, default=None)
    return None if face is None else recognizer.embed(image, face)


class IdentityGallery:
    """Every evaluated image's embedding by key (``{key: (label, embedding)}``), and the
    images that could not be read.

    Images are folded in in the dataset's order, wherever they were embedded,
    so the gallery's sums (and the metrics) do not depend on where the work ran.
    """

    def __init__(self, embeddings: Mapping[str, tuple[str, FloatArray]] | None = None) -> None:
        self.embeddings: dict[str, tuple[str, FloatArray]] = dict(embeddings or {})
        self.unreadable: dict[str, str] = {}

    def add(self, embedded: Embedded) -> None:
        """Fold one image's embedding in (in the images' order: the gallery sums depend on it)."""
        if embedded.unreadable is not None:
            self.unreadable[embedded.key] = embedded.unreadable
        elif embedded.embedding is not None:
            self.embeddings[embedded.key] = (embedded.label, embedded.embedding)

    def embedding(self, key: str) -> FloatArray | None:
        found = self.embeddings.get(key)
        return None if found is None else found[1]

    def index(self) -> GalleryIndex:
        return GalleryIndex(self.embeddings)


__all__ = [
    "Embedded",
    "GalleryIndex",
    "IdentityGallery",
    "embed_largest_face",
    "retrieval_rank",
]
