"""Reading and verifying a file's C2PA manifest: its state, actions, ingredients and signer.

:func:`read_credentials` asks the SDK's ``Reader`` (offline: no remote
manifests, no OCSP) and sums up the active manifest as :class:`Credentials`:

- ``valid``: intact, and the signer chains to a trust anchor given here;
- ``untrusted``: intact, but the signer chains to no given anchor (with no
  anchors given, every signer is untrusted: faceswap ships no trust list);
- ``invalid``: the manifest or the content it binds fails validation (a
  changed pixel, a cut file, a transplanted manifest), with C2PA's failure codes;
- ``absent``: no manifest (never signed, or re-encoded since, which drops it);
- ``unavailable``: the SDK is not installed, so nothing could be checked.

``faceswap inspect`` prints it; ``inspect --verify`` (later) passes only
:meth:`Credentials.passes`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any, Literal

import attrs

from faceswap_core.errors import ConfigError, InputError
from faceswap_core.io.credentials import sdk
from faceswap_core.io.credentials.manifest import VENDOR
from faceswap_core.io.provenance import VIDEO_MIME_TYPES
from faceswap_core.io.read import check_regular_file

CredentialState = Literal["valid", "untrusted", "invalid", "absent", "unavailable"]

UNTRUSTED_CODES: frozenset[str] = frozenset({"signingCredential.untrusted", "timeStamp.untrusted"})
"""Failure codes that say "not on a trust list" rather than "altered"."""

UNREADABLE_CODE = "faceswap.unreadable"
"""The code of a file whose container the SDK cannot parse (a cut or damaged file)."""

MAX_TRUST_BYTES = 4 * 1024 * 1024
"""Largest trust-anchor PEM file read (a national trust list is a few hundred KiB)."""

_IMAGE_MIME = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}


@attrs.frozen
class Credentials:
    """The C2PA state of one file (see the module docstring for the states).

    :ivar codes: C2PA failure codes of the active manifest, ``untrusted`` ones apart.
    :ivar detail: why, in words, when the SDK could not read the file at all.
    :ivar claim_generator: the software that signed (``faceswap 0.1.0``).
    :ivar signer: the signing certificate: ``common_name``, ``issuer``, ``alg``, ``time``.
    :ivar actions: each action's ``action``, ``digitalSourceType``, ``softwareAgent``
        and faceswap's own parameters (``model``, ``model_sha256``).
    :ivar ingredients: each ingredient's ``title``, ``relationship``, ``format``,
        ``sha256`` and whether it carried Content Credentials of its own.
    :ivar trust_anchors: whether trust anchors were given (else nothing can be ``valid``).
    """

    state: CredentialState
    codes: tuple[str, ...] = ()
    detail: str | None = None
    claim_generator: str | None = None
    signer: dict[str, str] = attrs.field(factory=dict)
    actions: tuple[dict[str, Any], ...] = ()
    ingredients: tuple[dict[str, Any], ...] = ()
    trust_anchors: bool = False

    @property
    def signed(self) -> bool:
        """Whether the file carries a manifest at all (intact or not)."""
        return self.state in ("valid", "untrusted", "invalid")

    def passes(self, *, require_trust: bool = False) -> bool:
        """Whether verification passes: ``valid``, or ``untrusted`` unless trust is required."""
        return self.state == "valid" or (self.state == "untrusted" and not require_trust)

    def describe(self) -> str:
        """The state in one line, for ``faceswap inspect``."""
        who = self.signer.get("common_name") or "unknown signer"
        issuer = self.signer.get("issuer")
        by = f"{who}" + (f" (issued by {issuer})" if issuer else "")
        if self.state == "valid":
            return f"valid, signed by {by}, trusted"
        if self.state == "untrusted":
            why = (
                "chains to none of the given trust anchors"
                if self.trust_anchors
                else ("no trust anchors given")
            )
            return f"valid signature by an untrusted signer: {by}; {why}"
        if self.state == "invalid":
            codes = ", ".join(self.codes) or "unreadable"
            return f"INVALID ({codes})" + (f": {self.detail}" if self.detail else "")
        if self.state == "absent":
            return "absent (no Content Credentials)" + (f": {self.detail}" if self.detail else "")
        return f"not checked: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (``faceswap inspect --json``)."""
        return {
            "state": self.state,
            "codes": list(self.codes),
            "detail": self.detail,
            "claim_generator": self.claim_generator,
            "signer": dict(self.signer),
            "actions": [dict(a) for a in self.actions],
            "ingredients": [dict(i) for i in self.ingredients],
            "trust_anchors": self.trust_anchors,
        }


def load_trust_anchors(anchors: str | bytes | os.PathLike[str]) -> str:
    """PEM text of trust anchors from a path or PEM data, checked to hold certificates.

    :raises ConfigError: not PEM certificates.
    :raises InputError: the file cannot be read.
    """
    from cryptography import x509

    if isinstance(anchors, os.PathLike) or (
        isinstance(anchors, str) and "-----BEGIN" not in anchors
    ):
        path = Path(anchors)
        label = f"trust anchors {os.fspath(path)!r}"
        info = check_regular_file(path, label, kind="a PEM file of CA certificates")
        if info.st_size > MAX_TRUST_BYTES:
            raise ConfigError(f"{label}: {info.st_size} bytes is over {MAX_TRUST_BYTES}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {label}: {exc.strerror or exc}") from None
    else:
        label = "trust anchors"
        data = anchors.encode() if isinstance(anchors, str) else bytes(anchors)
    try:
        x509.load_pem_x509_certificates(data)
    except ValueError:
        raise ConfigError(
            f"{label}: not PEM certificates (-----BEGIN CERTIFICATE-----); pass the CA's PEM"
        ) from None
    return data.decode("ascii", errors="replace")


def _mime_for(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return _IMAGE_MIME.get(suffix) or VIDEO_MIME_TYPES.get(suffix)


def _agent(value: Any) -> str | None:
    if isinstance(value, dict):
        name, version = value.get("name"), value.get("version")
        return " ".join(str(p) for p in (name, version) if p) or None
    return str(value) if value else None


def _action(entry: dict[str, Any]) -> dict[str, Any]:
    parameters = entry.get("parameters") or {}
    own = {
        key.removeprefix(f"{VENDOR}."): value
        for key, value in parameters.items()
        if isinstance(key, str) and key.startswith(f"{VENDOR}.")
    }
    return {
        "action": entry.get("action"),
        "digital_source_type": entry.get("digitalSourceType"),
        "software_agent": _agent(entry.get("softwareAgent")),
        **own,
    }


def _ingredient(entry: dict[str, Any]) -> dict[str, Any]:
    metadata = entry.get("metadata") or {}
    return {
        "title": entry.get("title"),
        "relationship": entry.get("relationship"),
        "format": entry.get("format"),
        "sha256": metadata.get(f"{VENDOR}.sha256") if isinstance(metadata, dict) else None,
        "credentials": bool(entry.get("active_manifest")),
    }


def _summarise(store: dict[str, Any], trusted: bool) -> Credentials:
    manifests = store.get("manifests") or {}
    active = manifests.get(store.get("active_manifest") or "", {})
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    failures = [f.get("code") for f in results.get("failure", []) if f.get("code")]
    if not results:  # older stores: the flat status list
        failures = [s.get("code") for s in store.get("validation_status", []) if s.get("code")]
    codes = tuple(c for c in failures if c not in UNTRUSTED_CODES)
    state_name = store.get("validation_state")
    if state_name == "Trusted" and not codes:
        state: CredentialState = "valid"
    elif state_name in ("Valid", "Trusted") and not codes:
        state = "untrusted"
    else:
        state = "invalid"
    actions: list[dict[str, Any]] = []
    for assertion in active.get("assertions", []):
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            actions.extend(_action(a) for a in (assertion.get("data") or {}).get("actions", []))
    generators = active.get("claim_generator_info") or []
    generator = _agent(generators[0]) if generators else active.get("claim_generator")
    info = active.get("signature_info") or {}
    signer = {
        key: str(info[key]) for key in ("common_name", "issuer", "alg", "time") if info.get(key)
    }
    return Credentials(
        state=state,
        codes=codes,
        claim_generator=generator,
        signer=signer,
        actions=tuple(actions),
        ingredients=tuple(_ingredient(i) for i in active.get("ingredients", [])),
        trust_anchors=trusted,
    )


def read_credentials(
    source: str | os.PathLike[str] | bytes,
    *,
    format: str | None = None,
    trust_anchors: str | bytes | os.PathLike[str] | None = None,
) -> Credentials:
    """The C2PA state of a file or of encoded bytes (module docstring).

    :param format: the MIME type; default from the path's suffix, else detected.
    :param trust_anchors: PEM CA certificates (a path or the PEM itself) whose
        chains count as trusted; without them no signer is trusted.
    :raises InputError: a path that is missing, a folder or unreadable.
    :raises ConfigError: ``trust_anchors`` holds no PEM certificates.
    """
    try:
        c2pa = sdk.load_sdk()
    except sdk.SdkMissingError:
        return Credentials(
            "unavailable", detail=f"the C2PA SDK is not installed: {sdk.INSTALL_HINT}"
        )
    anchors = None if trust_anchors is None else load_trust_anchors(trust_anchors)
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    else:
        path = Path(source)
        label = f"file {os.fspath(path)!r}"
        check_regular_file(path, label, kind="an image or video file")
        format = format or _mime_for(path)
    context = sdk.context(c2pa, trust_anchors=anchors)
    try:
        with contextlib.ExitStack() as stack:
            if isinstance(source, bytes | bytearray):
                stream: Any = io.BytesIO(data)
            else:
                try:
                    stream = stack.enter_context(open(path, "rb"))
                except OSError as exc:
                    raise InputError(f"cannot read {label}: {exc.strerror or exc}") from None
            args = (format, stream) if format else (stream,)
            with c2pa.Reader(*args, context=context) as reader:
                store = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound:
        return Credentials("absent", trust_anchors=anchors is not None)
    except c2pa.C2paError.NotSupported as exc:
        detail = f"this format cannot carry C2PA ({sdk.first_line(exc)})"
        return Credentials("absent", detail=detail, trust_anchors=anchors is not None)
    except c2pa.C2paError as exc:
        return Credentials(
            "invalid",
            codes=(UNREADABLE_CODE,),
            detail=sdk.first_line(exc),
            trust_anchors=anchors is not None,
        )
    return _summarise(store, anchors is not None)


__all__ = [
    "MAX_TRUST_BYTES",
    "UNREADABLE_CODE",
    "UNTRUSTED_CODES",
    "CredentialState",
    "Credentials",
    "load_trust_anchors",
    "read_credentials",
]
