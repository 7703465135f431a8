"""Swap models: what the pipeline hands a swapper and what it gets back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import attrs

from faceswap_core.interfaces.face import Face, FloatArray, Image
from faceswap_core.interfaces.vision import Recognizer


@attrs.frozen(eq=False)
class SwapOutput:
    """A swapped aligned crop, and optionally the model's own soft mask (H x W, 0..1)."""

    image: Image
    mask: FloatArray | None = None


@runtime_checkable
class Swapper(Protocol):
    """Swaps the identity in one aligned crop.

    The pipeline aligns source and target faces to ``crop_size`` with the
    named alignment ``template``, computes what the swapper asks for
    (``recognizer`` embeddings, ``needs_landmarks``) in crop coordinates, and
    pastes the result back. ``prepare_source`` runs once per source image.

    Two optional attributes say what outputs are marked and signed with
    (docs/provenance.md): ``digital_source_type``, the IPTC term of what the
    swapper does (``faceswap_core.io.provenance.TRAINED_COMPOSITE`` for a
    learned model, the default when absent; ``CAPTURE_COMPOSITE`` for a
    swapper that only moves captured pixels), and ``model_path``, the weights
    file whose SHA-256 a signed manifest records.

    With the ``native`` template each crop is the face at its own resolution,
    square and sized to the face, at most ``crop_size`` a side.
    """

    crop_size: int
    template: str
    recognizer: str | None
    needs_landmarks: bool

    def prepare_source(self, crop: Image, face: Face) -> Any: ...

    def swap(self, crop: Image, face: Face, source: Any) -> SwapOutput: ...


@runtime_checkable
class ChecksRecognizer(Protocol):
    """A swapper that can tell whether a pipeline recognizer gives the embeddings it learned.

    The pipeline calls ``check_recognizer`` once with the recognizer it built
    for the swapper's ``recognizer`` name, before embedding any source with it;
    a recognizer the model was not trained with raises
    :class:`~faceswap_core.errors.ModelFileError`.
    """

    def check_recognizer(self, name: str, recognizer: Recognizer) -> None: ...


@runtime_checkable
class BatchSwapper(Protocol):
    """A swapper that swaps several aligned crops of one source in one model run.

    Two callers hand it several crops: the video path, the faces of the frames
    that wait for the swapper (``pipeline.video.swap_batch``), and pixel boost
    (``pipeline.pixel_boost``), the sub-crops of one boosted crop. Result ``i``
    must be what ``swap`` gives for crop ``i`` alone, in order. ``max_batch`` is
    the most crops one call takes (0: any); a swapper that cannot batch a given
    model returns 1 and is called per crop. A swapper without ``swap_batch`` is
    called once per crop.
    """

    @property
    def max_batch(self) -> int: ...

    def swap_batch(
        self, crops: Sequence[Image], faces: Sequence[Face], source: Any
    ) -> list[SwapOutput]: ...


__all__ = ["BatchSwapper", "ChecksRecognizer", "SwapOutput", "Swapper"]
