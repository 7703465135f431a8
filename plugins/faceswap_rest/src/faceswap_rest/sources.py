"""Registered source faces: an id per prepared identity, least recently used dropped first.

Registering a source (``POST /v1/sources``) detects its face and prepares the
swapper's identity once; clients then send only ``source_id`` with each target
or stream frame. The cache is bounded (``limits.source_cache_size``), so an id
may expire: using it then is a 404 that says to register the source again.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict

from faceswap_core.pipeline.image import SourceIdentity
from faceswap_rest.errors import NotFoundError, shorten


class SourceRegistry:
    """A thread-safe LRU map from random source ids to prepared identities."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, SourceIdentity] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, identity: SourceIdentity) -> str:
        """Keep ``identity`` under a new id; the least recently used beyond ``size`` go."""
        source_id = "src_" + secrets.token_urlsafe(12)
        with self._lock:
            self._items[source_id] = identity
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return source_id

    def get(self, source_id: str) -> SourceIdentity:
        with self._lock:
            identity = self._items.get(source_id)
            if identity is None:
                raise NotFoundError(
                    f"unknown source_id {shorten(source_id)} (never registered, deleted, or "
                    f"dropped from the cache of {self.size}); register the source again with "
                    "POST /v1/sources"
                )
            self._items.move_to_end(source_id)
            return identity

    def remove(self, source_id: str) -> None:
        with self._lock:
            if self._items.pop(source_id, None) is None:
                raise NotFoundError(f"unknown source_id {shorten(source_id)}")

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


__all__ = ["SourceRegistry"]
