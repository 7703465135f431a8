"""The C2PA SDK (``c2pa-python``): imported on first use, with the settings faceswap uses.

The SDK is the optional extra ``faceswap-core[c2pa]``: its wheel is a 50 MB
native library with no Windows or musl build for 0.38, so a plain install of
faceswap-core stays installable everywhere and loads it only when signing or
verifying.

Settings are the same for every use: no thumbnails (a manifest never carries a
picture of any input or output), no network during verification (no remote
manifests, no OCSP), validation after signing (the SDK checks what it wrote).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from faceswap_core.version import __version__

INSTALL_HINT = "pip install 'faceswap-core[c2pa]'"
"""How to get the SDK, named in every message that needs it."""

SIGNABLE_IMAGES: tuple[str, ...] = ("image/png", "image/jpeg", "image/webp")
"""Output image types signed here (every entry of ``OUTPUT_FORMATS``)."""

SIGNABLE_VIDEOS: tuple[str, ...] = (
    "video/mp4",
    "video/quicktime",
    "video/x-m4v",
    "video/x-msvideo",
)
"""Output video types the SDK embeds a manifest in (ISO BMFF, RIFF); Matroska and WebM
have no C2PA embedding."""


class SdkMissingError(ImportError):
    """``c2pa-python`` is not installed."""


def load_sdk() -> ModuleType:
    """The ``c2pa`` module, or :class:`SdkMissingError` naming the extra to install."""
    try:
        module = importlib.import_module("c2pa")
    except ImportError as exc:
        raise SdkMissingError(
            f"the C2PA SDK (c2pa-python) is not installed: {INSTALL_HINT}"
        ) from exc
    return module


def require_cryptography() -> None:
    """Raise :class:`SdkMissingError` naming the extra when ``cryptography`` is missing."""
    try:
        importlib.import_module("cryptography.x509")
    except ImportError as exc:
        raise SdkMissingError(
            f"cryptography is not installed (it comes with the C2PA extra): {INSTALL_HINT}"
        ) from exc


def available() -> bool:
    """Whether the SDK can be imported here."""
    try:
        load_sdk()
    except SdkMissingError:
        return False
    return True


def settings(*, trust_anchors: str | None = None) -> dict[str, Any]:
    """SDK settings: no thumbnails, no network while verifying, validate after signing.

    :param trust_anchors: PEM certificates that alone are trusted (they replace the
        SDK's own list); ``None`` trusts nothing, so every signer reads as untrusted.
    """
    data: dict[str, Any] = {
        "builder": {"thumbnail": {"enabled": False}},
        "verify": {
            "verify_after_sign": True,
            "verify_after_reading": True,
            "verify_trust": True,
            "remote_manifest_fetch": False,
            "ocsp_fetch": False,
        },
    }
    if trust_anchors is not None:
        data["trust"] = {"trust_anchors": trust_anchors}
    return data


def context(c2pa: ModuleType, *, trust_anchors: str | None = None) -> Any:
    """A ``c2pa.Context`` with :func:`settings`."""
    return c2pa.Context.from_dict(settings(trust_anchors=trust_anchors))


def claim_generator() -> list[Mapping[str, str]]:
    """``claim_generator_info``: faceswap and its version (the SDK adds its own)."""
    return [{"name": "faceswap", "version": __version__}]


def first_line(exc: BaseException) -> str:
    """An SDK error as one line: its message without the class prefix and continuation lines."""
    text = str(exc).strip() or type(exc).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(lines[:3])


__all__ = [
    "INSTALL_HINT",
    "SIGNABLE_IMAGES",
    "SIGNABLE_VIDEOS",
    "SdkMissingError",
    "available",
    "claim_generator",
    "context",
    "first_line",
    "load_sdk",
    "require_cryptography",
    "settings",
]
