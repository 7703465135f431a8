"""Training slots: losses and datasets (implemented by ``faceswap-unet``).

Core never imports torch, so tensors are typed ``Any`` here; the training
plugin documents their shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Loss(Protocol):
    """One weighted term of the training objective.

    ``__call__`` gets the generator's outputs and the batch (both by name)
    and returns a scalar tensor; the trainer multiplies it by ``weight``.
    """

    weight: float

    def __call__(self, outputs: Mapping[str, Any], batch: Mapping[str, Any]) -> Any: ...


@runtime_checkable
class Dataset(Protocol):
    """Indexed samples (each a mapping of named arrays) of one split."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> Mapping[str, Any]: ...


__all__ = ["Dataset", "Loss"]
