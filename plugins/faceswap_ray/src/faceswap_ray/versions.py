"""Which faceswap distributions a process runs, so a worker unlike its driver is refused.

Pickled work only means the same thing where the same code unpickles it: a
worker with another faceswap-core, or another version of a plugin whose
components the job builds, could swap differently or fail half-way. Each
worker compares its versions with the driver's before it loads a model.
"""

from __future__ import annotations

import importlib.metadata as metadata
import socket
from collections.abc import Iterable, Mapping

from faceswap_core.errors import WorkerMismatchError
from faceswap_core.plugin.manager import CORE_DISTRIBUTION, ENTRY_POINT_GROUP

Versions = dict[str, str | None]


def installed_plugins() -> tuple[str, ...]:
    """Every installed distribution that declares a ``faceswap`` entry point."""
    names = {
        ep.dist.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.dist is not None
    }
    return tuple(sorted(names))


def versions_of(distributions: Iterable[str]) -> Versions:
    """``{distribution: version or None}`` for faceswap-core and ``distributions``."""
    result: Versions = {}
    for name in (CORE_DISTRIBUTION, *distributions):
        try:
            result[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            result[name] = None
    return result


def check_versions(expected: Mapping[str, str | None]) -> None:
    """Raise :class:`WorkerMismatchError` (one line) if this process differs from ``expected``."""
    actual = versions_of(name for name in expected if name != CORE_DISTRIBUTION)
    differences = [
        f"{name} {actual.get(name) or 'not installed'} (driver: {version or 'not installed'})"
        for name, version in expected.items()
        if actual.get(name) != version
    ]
    if differences:
        raise WorkerMismatchError(
            f"worker on {socket.gethostname()} has {', '.join(differences)}; install the "
            "driver's faceswap versions on every node (docs/cluster.md)"
        )


__all__ = ["Versions", "check_versions", "installed_plugins", "versions_of"]
