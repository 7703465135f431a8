"""Evaluation slot: metrics, each with a name, a unit and a definition."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Metric(Protocol):
    """A number computed over evaluated pairs.

    ``update`` sees one pair's record (images, faces, embeddings by name) and
    ``result`` returns the aggregate, or ``None`` with ``unavailable`` set to
    the reason (for example LPIPS without its backbone weights).
    """

    name: str
    unit: str
    definition: str

    def update(self, record: Mapping[str, Any]) -> None: ...

    def result(self) -> float | None: ...


__all__ = ["Metric"]
