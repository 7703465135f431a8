"""Cluster addresses: ``local``, ``auto``, ``ray://HOST:PORT`` and ``HOST:PORT``.

A malformed address is a :class:`~faceswap_core.errors.ClusterAddressError`
(exit 2) before anything connects; a remote address that does not answer
within the timeout is a :class:`~faceswap_core.errors.ClusterError` (exit 7)
instead of Ray's own minute of retries.
"""

from __future__ import annotations

import re
import socket
from typing import Literal

import attrs

from faceswap_core.errors import ClusterAddressError, ClusterError

AddressKind = Literal["local", "auto", "client", "gcs"]

_HOST_PORT = re.compile(r"^(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(?P<port>[0-9]{1,5})$")

FORMS = "local, auto, ray://HOST:PORT or HOST:PORT"


@attrs.frozen
class ClusterAddress:
    """A parsed address.

    :ivar kind: ``local`` (start Ray here), ``auto`` (the cluster this machine
        joined), ``client`` (``ray://``, through the Ray Client) or ``gcs``
        (a head's GCS port, for a driver on a cluster node).
    """

    text: str
    kind: AddressKind
    host: str | None = None
    port: int | None = None

    @property
    def remote(self) -> bool:
        return self.host is not None

    def check_reachable(self, timeout: float) -> None:
        """Open a TCP connection to a remote address, or fail with one line."""
        if self.host is None or self.port is None:
            return
        host = self.host.strip("[]")
        try:
            with socket.create_connection((host, self.port), timeout=timeout):
                return
        except OSError as exc:
            reason = "timed out" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
            raise ClusterError(
                f"cannot reach the Ray cluster at {self.text} ({reason}); check the address, "
                "or start the head there with `ray start --head`"
            ) from None


def parse_address(text: str) -> ClusterAddress:
    """Parse a cluster address (module docstring) or raise :class:`ClusterAddressError`."""
    if not isinstance(text, str) or not text.strip():
        raise ClusterAddressError(f"cluster address {text!r} is empty; use {FORMS}")
    value = text.strip()
    if value in ("local", "auto"):
        return ClusterAddress(value, value)  # type: ignore[arg-type]
    kind: AddressKind = "gcs"
    rest = value
    if value.startswith("ray://"):
        kind, rest = "client", value[len("ray://") :]
    found = _HOST_PORT.match(rest)
    if found is None:
        raise ClusterAddressError(f"cluster address {value!r} is not one of {FORMS}")
    port = int(found["port"])
    if not 1 <= port <= 65535:
        raise ClusterAddressError(f"cluster address {value!r}: port {port} is not 1-65535")
    return ClusterAddress(value, kind, found["host"], port)


__all__ = ["FORMS", "AddressKind", "ClusterAddress", "parse_address"]
