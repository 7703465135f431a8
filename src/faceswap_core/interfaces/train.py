"""Training slots: losses and datasets (implemented by ``faceswap-unet``).

Core never imports torch, so tensors are typed ``Any`` here; the training
plugin documents their shapes. A :class:`Dataset` is a named source of data
(LFW, say) that core's ``faceswap data`` commands drive and runners read from;
preparing, downloading and verifying it need no torch, so users who only
prepare or evaluate data never install it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

ProgressFn = Callable[[int, int], None]
"""``progress(done, total)``, called as work items finish."""


@runtime_checkable
class Loss(Protocol):
    """One weighted term of the training objective.

    ``__call__`` gets the generator's outputs and the batch (both by name)
    and returns a scalar tensor; the trainer multiplies it by ``weight``.
    """

    weight: float

    def __call__(self, outputs: Mapping[str, Any], batch: Mapping[str, Any]) -> Any: ...


@runtime_checkable
class DatasetSplit(Protocol):
    """Indexed samples of one split, each a mapping of named numpy arrays and values."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> Mapping[str, Any]: ...


@runtime_checkable
class Dataset(Protocol):
    """A dataset the ``faceswap data`` commands prepare, download and update.

    Every operation returns a JSON-ready report (what was written, counted,
    skipped), which ``--json`` prints as is.
    """

    def prepare(
        self, source: Path, out: Path, *, progress: ProgressFn | None = None
    ) -> Mapping[str, Any]:
        """Turn raw data at ``source`` into a prepared folder ``out`` with a manifest."""
        ...

    def download(self, out: Path, *, name: str | None = None) -> Mapping[str, Any]:
        """Fetch the raw data (``name`` picks a published copy) and prepare it into ``out``."""
        ...

    def update(self, root: Path) -> Mapping[str, Any]:
        """Re-verify a prepared folder; record added, removed and changed files."""
        ...

    def split(self, root: Path, name: str) -> DatasetSplit:
        """The samples of split ``name`` (``train``, ``val``, ``test``) of a prepared folder."""
        ...


__all__ = ["Dataset", "DatasetSplit", "Loss", "ProgressFn"]
