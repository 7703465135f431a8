"""Where components find their model files.

A component gets a :class:`ModelLocator` in its build context instead of
creating the model store itself, so tests and services can point every
component at one store (and one checksum cache).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable


@runtime_checkable
class ModelLocator(Protocol):
    """Turns a model name or path into a verified local file.

    ``resolve`` returns an existing path as it is, or the checked file of a
    catalog name; it raises :class:`~faceswap_core.errors.ModelFileError` with
    what to do when the file is missing or fails its checksum. ``loaded_by``
    says which component kind a known name is for, and which component loads
    it when the entry names one.
    """

    root: Path

    def resolve(self, name_or_path: str | Path) -> Path: ...

    def knows(self, name: str) -> bool: ...

    def loaded_by(self, name: str) -> tuple[str, str | None]: ...


__all__ = ["ModelLocator"]
