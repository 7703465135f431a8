"""What ``faceswap inspect`` reports about one file, and its verification gate.

:func:`inspect_file` reads the header and metadata only (never the pixels):
the format and size, the IPTC provenance mark, and the C2PA state against
the trust anchors given. :func:`verified` is the gate of ``inspect
--verify``: it passes an intact manifest, fails everything else with a
:class:`~faceswap_core.errors.CredentialsError`, and says so when the signer
was not checked against any trust anchor.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs

from faceswap_core.errors import CredentialsError
from faceswap_core.io.credentials.verify import Credentials, load_trust_anchors, read_credentials
from faceswap_core.io.decode import probe
from faceswap_core.io.provenance import read_provenance
from faceswap_core.io.video import VIDEO_SUFFIXES, probe_video


@attrs.frozen
class FileReport:
    """One file as ``inspect`` sees it.

    :ivar record: JSON-ready fields: ``path``, ``format``, ``width``, ``height``,
        ``provenance`` (the IPTC mark, or ``None``), ``c2pa`` (the credentials), and for
        a video ``codec``, ``frames``, ``fps``, ``duration``, ``rotation``.
    :ivar credentials: the C2PA state (:class:`Credentials`).
    """

    record: dict[str, Any]
    credentials: Credentials


def inspect_file(
    path: str | os.PathLike[str],
    *,
    max_bytes: int,
    trust: str | os.PathLike[str] | None = None,
) -> FileReport:
    """Read ``path``'s header, provenance mark and C2PA manifest (``trust``: CA PEM file).

    :raises InputError: the file is missing, a folder or unreadable.
    :raises InvalidImageError: its header is corrupt.
    :raises ConfigError: ``trust`` holds no PEM certificates.
    """
    name = os.fspath(path)
    anchors = load_trust_anchors(Path(trust)) if trust is not None else None
    if Path(name).suffix.lower() in VIDEO_SUFFIXES:
        record = probe_video(name).to_dict()
    else:
        info = probe(name, max_bytes=max_bytes)
        mark = read_provenance(name, max_bytes=max_bytes)
        record = {
            "path": name,
            "format": info.format,
            "width": info.width,
            "height": info.height,
            "provenance": mark.to_dict() if mark is not None else None,
        }
    credentials = read_credentials(name, trust_anchors=anchors)
    record["c2pa"] = credentials.to_dict()
    return FileReport(record, credentials)


def printable(value: Any) -> str:
    """A value from an untrusted file, safe to print on one line: control characters -> '?'."""
    return "".join(c if c.isprintable() else "?" for c in str(value))


def verified(report: FileReport, *, require_trust: bool) -> str | None:
    """Pass or fail ``inspect --verify``; a warning to show when it passes unchecked.

    :returns: ``None`` for a manifest whose signer chains to a trust anchor; a
        warning for an intact manifest whose signer was not required to.
    :raises CredentialsError: anything else (invalid, absent, unchecked, untrusted
        where trust was required), naming the file and the state.
    """
    credentials = report.credentials
    name = report.record["path"]
    if not credentials.passes(require_trust=require_trust):
        state = printable(credentials.describe())
        raise CredentialsError(f"{name}: C2PA verification failed: {state}")
    if credentials.state == "untrusted":
        return (
            f"{name}: the C2PA manifest is intact, but its signer is not checked against a "
            "trust list; pass --trust CA.pem to require one"
        )
    return None


__all__ = ["FileReport", "inspect_file", "printable", "verified"]
