"""Signing outputs with C2PA: a configured certificate and key, checked before any work.

:func:`load_signer` turns ``pipeline.c2pa`` (or ``FACESWAP_C2PA_CERT`` /
``FACESWAP_C2PA_KEY``) into a :class:`C2paSigner`, or ``None`` when no signer is
configured. It refuses, with one line and :class:`~faceswap_core.errors.SignerError`
(exit 5), anything that could not sign: a missing or unreadable file, a
certificate chain or key that does not parse, an encrypted key, a key of
another type than ``alg`` needs, a key that is not the certificate's, a
certificate out of its validity period, a certificate the SDK refuses (no
C2PA signing profile), an unreachable time-stamp authority. The last two are
found by signing a 1 x 1 image and reading it back, so every signer that
loads has signed once already.

Certificates and keys are untrusted input: read within a size limit, parsed by
``cryptography``, never written anywhere, and never named in a manifest.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from faceswap_core.config.schema import C2paConfig
from faceswap_core.errors import SignerError
from faceswap_core.io.atomic import commit, temp_path_for
from faceswap_core.io.credentials import sdk
from faceswap_core.io.credentials.manifest import (
    edit_action,
    ingredient_definition,
    manifest_definition,
)
from faceswap_core.io.provenance import Mark

CERT_ENV = "FACESWAP_C2PA_CERT"
"""Environment variable naming the PEM certificate chain when the config names none."""

KEY_ENV = "FACESWAP_C2PA_KEY"
"""Environment variable naming the PEM private key when the config names none."""

MAX_CREDENTIAL_BYTES = 1024 * 1024
"""Largest certificate chain or key file read (a real chain is a few KiB)."""

_EC_CURVES = {"es256": "secp256r1", "es384": "secp384r1", "es512": "secp521r1"}
_MIN_RSA_BITS = 2048


@attrs.frozen
class SignerSettings:
    """Where the credentials are and how to sign: ``pipeline.c2pa`` with the environment applied."""

    cert: Path
    key: Path
    alg: str = "es256"
    tsa_url: str | None = None


def resolve_settings(
    config: C2paConfig, environ: Mapping[str, str] | None = None
) -> SignerSettings | None:
    """``pipeline.c2pa`` filled from the environment; ``None`` when no signer is configured.

    A value in the config wins over the environment. Only one of certificate
    and key is an error: it cannot sign, and dropping the request would leave
    unsigned outputs.
    """
    env = os.environ if environ is None else environ
    cert = config.cert or env.get(CERT_ENV) or None
    key = config.key or env.get(KEY_ENV) or None
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        have, need, var = (
            ("pipeline.c2pa.key", "pipeline.c2pa.cert", CERT_ENV)
            if cert is None
            else ("pipeline.c2pa.cert", "pipeline.c2pa.key", KEY_ENV)
        )
        raise SignerError(
            f"C2PA signing needs both a certificate and a key: {have} is set but {need} is "
            f"not; set it (or {var}), or unset both to write unsigned outputs"
        )
    return SignerSettings(
        Path(cert).expanduser(), Path(key).expanduser(), config.alg, config.tsa_url
    )


def _read(path: Path, what: str) -> bytes:
    """A credential file's bytes: a regular file of at most :data:`MAX_CREDENTIAL_BYTES`."""
    label = f"C2PA {what} {os.fspath(path)!r}"
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise SignerError(f"cannot read {label}: it is a folder; pass the PEM file")
        if not stat.S_ISREG(info.st_mode):
            raise SignerError(f"cannot read {label}: not a regular file; pass the PEM file")
        if info.st_size > MAX_CREDENTIAL_BYTES:
            raise SignerError(
                f"cannot use {label}: {info.st_size} bytes is not a PEM {what} (at most "
                f"{MAX_CREDENTIAL_BYTES} bytes are read)"
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise SignerError(f"cannot read {label}: no such file; check pipeline.c2pa") from None
    except PermissionError:
        raise SignerError(f"cannot read {label}: permission denied") from None
    except OSError as exc:
        raise SignerError(f"cannot read {label}: {exc.strerror or exc}") from None


@attrs.frozen
class SignerIdentity:
    """Who signs: the certificate's subject and issuer and its validity period (for messages)."""

    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime


def _check_key_type(key: Any, alg: str, label: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if alg in _EC_CURVES:
        curve = _EC_CURVES[alg]
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != curve:
            raise SignerError(f"{label} cannot sign with {alg}: it needs an EC {curve} key")
    elif alg.startswith("ps"):
        if not isinstance(key, rsa.RSAPrivateKey):
            raise SignerError(f"{label} cannot sign with {alg}: it needs an RSA key")
        if key.key_size < _MIN_RSA_BITS:
            raise SignerError(
                f"{label} is a {key.key_size}-bit RSA key; C2PA needs at least {_MIN_RSA_BITS}"
            )
    elif alg == "ed25519":
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise SignerError(f"{label} cannot sign with ed25519: it needs an Ed25519 key")
    else:
        raise SignerError(f"unsupported C2PA signing algorithm {alg!r}")


def _public_bytes(public_key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    data: bytes = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return data


def check_credentials(
    settings: SignerSettings, cert_pem: bytes, key_pem: bytes, *, now: dt.datetime | None = None
) -> SignerIdentity:
    """Parse the chain and key and check they can sign now; a :class:`SignerError` otherwise."""
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    cert_label = f"C2PA certificate {os.fspath(settings.cert)!r}"
    key_label = f"C2PA key {os.fspath(settings.key)!r}"
    try:
        chain = x509.load_pem_x509_certificates(cert_pem)
    except ValueError:
        raise SignerError(
            f"cannot use {cert_label}: not a PEM certificate chain (-----BEGIN CERTIFICATE-----)"
        ) from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except TypeError:
        raise SignerError(
            f"cannot use {key_label}: it is encrypted; decrypt it to a protected file "
            "(openssl pkey -in KEY -out KEY.pem) and point pipeline.c2pa.key at that"
        ) from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SignerError(f"cannot use {key_label}: not a PEM private key ({reason})") from None
    _check_key_type(key, settings.alg, key_label)
    leaf = chain[0]
    if _public_bytes(leaf.public_key()) != _public_bytes(key.public_key()):
        mine = _public_bytes(key.public_key())
        others = [i for i, c in enumerate(chain[1:], 1) if _public_bytes(c.public_key()) == mine]
        hint = (
            f"; it matches certificate {others[0] + 1} of the chain: put the signer's first"
            if others
            else "; use the key the certificate was issued for"
        )
        raise SignerError(f"{key_label} does not match the first certificate of {cert_label}{hint}")
    moment = now or dt.datetime.now(dt.UTC)
    for index, cert in enumerate(chain):
        which = f"certificate {index + 1} of the chain" if index else "the signer's certificate"
        start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
        if moment < start:
            raise SignerError(
                f"cannot sign with {cert_label}: {which} is not valid before "
                f"{start:%Y-%m-%d %H:%M} UTC"
            )
        if moment > end:
            raise SignerError(
                f"cannot sign with {cert_label}: {which} expired on {end:%Y-%m-%d %H:%M} UTC; "
                "renew it"
            )
    return SignerIdentity(
        leaf.subject.rfc4514_string(),
        leaf.issuer.rfc4514_string(),
        leaf.not_valid_before_utc,
        leaf.not_valid_after_utc,
    )


def _one_pixel_png() -> bytes:
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (1, 1)).save(buffer, "PNG")
    return buffer.getvalue()


class C2paSigner:
    """Signs encoded outputs with a C2PA manifest made from a :class:`Mark`.

    Built by :func:`load_signer`, which checks the credentials and signs once
    before returning. A fresh SDK signer and builder are made per output, so one
    instance serves many threads.
    """

    def __init__(self, settings: SignerSettings, cert_pem: bytes, key_pem: bytes) -> None:
        self.settings = settings
        try:  # the SDK first: cryptography, which the checks use, comes with it
            self._c2pa = sdk.load_sdk()
        except sdk.SdkMissingError:
            raise SignerError(
                f"pipeline.c2pa asks for signed outputs, but the C2PA SDK is not installed: "
                f"{sdk.INSTALL_HINT}"
            ) from None
        self.identity = check_credentials(settings, cert_pem, key_pem)
        self._cert_pem = cert_pem
        self._key_pem = key_pem
        self._context = sdk.context(self._c2pa)
        self.supported = frozenset(self._c2pa.Builder.get_supported_mime_types())
        self._trial()

    @property
    def alg(self) -> str:
        return self.settings.alg

    def _sdk_signer(self) -> Any:
        c2pa = self._c2pa
        info = c2pa.C2paSignerInfo(
            self.settings.alg.encode(),
            self._cert_pem,
            self._key_pem,
            self.settings.tsa_url.encode() if self.settings.tsa_url else None,
        )
        return c2pa.Signer.from_info(info)

    def _failure(self, exc: BaseException, what: str) -> SignerError:
        detail = sdk.first_line(exc)
        hint = ""
        if "certificate is invalid" in detail:
            hint = (
                "; a C2PA signing certificate must be issued by a CA (not self-signed), with "
                "key usage digitalSignature and extended key usage emailProtection or "
                "documentSigning"
            )
        elif "http" in detail and self.settings.tsa_url:
            hint = f"; check pipeline.c2pa.tsa_url ({self.settings.tsa_url}) or unset it"
        return SignerError(
            f"C2PA signer {os.fspath(self.settings.cert)!r} cannot sign {what}: {detail}{hint}"
        )

    def _trial(self) -> None:
        """Sign a 1 x 1 PNG and read it back, so a signer that loads is known to sign."""
        mark = Mark(model="trial")
        try:
            signed = io.BytesIO(self._sign(_one_pixel_png(), "image/png", mark))
            with self._c2pa.Reader("image/png", signed, context=self._context) as reader:
                reader.json()
        except self._c2pa.C2paError as exc:
            raise self._failure(exc, "a test image") from None

    def check_format(self, mime: str, label: str) -> None:
        """Refuse, before any work, an output type the SDK cannot embed a manifest in."""
        if mime not in self.supported or mime not in (*sdk.SIGNABLE_IMAGES, *sdk.SIGNABLE_VIDEOS):
            raise SignerError(
                f"cannot sign {label}: {mime} cannot carry a C2PA manifest; write .mp4 or .mov "
                "(videos) or .png, .jpg or .webp (images), or unset pipeline.c2pa"
            )

    def _builder(self, mark: Mark, mime: str) -> Any:
        """A builder with the manifest, the ingredients and the edit action of ``mark``.

        The parent is read by the SDK from its bytes when the SDK knows its format,
        so Content Credentials it already carries join the chain; every other
        ingredient is described by its definition alone (title, format, hash).
        """
        c2pa = self._c2pa
        streamed: list[tuple[dict[str, Any], str, Path | bytes]] = []
        described: list[dict[str, Any]] = []
        for index, ingredient in enumerate(mark.ingredients):
            definition = ingredient_definition(index, ingredient)
            asset = ingredient.asset if ingredient.relationship == "parentOf" else None
            if asset is not None and ingredient.format in self.supported:
                streamed.append((definition, str(ingredient.format), asset))
            else:
                described.append(definition)
        builder = c2pa.Builder(manifest_definition(mark, mime, described), self._context)
        try:
            builder.set_intent(c2pa.C2paBuilderIntent.EDIT)
            for definition, fmt, asset in streamed:
                if isinstance(asset, Path):
                    with open(asset, "rb") as stream:
                        builder.add_ingredient(definition, fmt, stream)
                else:
                    builder.add_ingredient(definition, fmt, io.BytesIO(asset))
            builder.add_action(edit_action(mark))
        except BaseException:
            builder.close()
            raise
        return builder

    def _sign(self, data: bytes, mime: str, mark: Mark) -> bytes:
        with self._builder(mark, mime) as builder, self._sdk_signer() as signer:
            target = io.BytesIO()
            builder.sign(signer, mime, io.BytesIO(data), target)
            return target.getvalue()

    def sign_bytes(self, data: bytes, mime: str, mark: Mark) -> bytes:
        """``data`` (an encoded ``mime`` file) with a signed manifest embedded."""
        self.check_format(mime, "the output")
        try:
            return self._sign(data, mime, mark)
        except self._c2pa.C2paError as exc:
            raise self._failure(exc, "the output") from None

    def sign_file(self, path: Path, mime: str, mark: Mark) -> None:
        """Embed a signed manifest into ``path``, replacing it atomically (a video's temp file)."""
        self.check_format(mime, os.fspath(path))
        temp = temp_path_for(path)
        try:
            with (
                self._builder(mark, mime) as builder,
                self._sdk_signer() as signer,
                open(path, "rb") as source,
                open(temp, "w+b") as target,
            ):
                builder.sign(signer, mime, source, target)
            commit(temp, path)
        except self._c2pa.C2paError as exc:
            raise self._failure(exc, os.fspath(path)) from None
        finally:
            temp.unlink(missing_ok=True)


def load_signer(
    config: C2paConfig, *, environ: Mapping[str, str] | None = None
) -> C2paSigner | None:
    """The checked signer ``pipeline.c2pa`` asks for, or ``None`` when it asks for none.

    :raises SignerError: it cannot sign (module docstring); exit code 5.
    """
    settings = resolve_settings(config, environ)
    if settings is None:
        return None
    cert_pem = _read(settings.cert, "certificate")
    key_pem = _read(settings.key, "key")
    return C2paSigner(settings, cert_pem, key_pem)


__all__ = [
    "CERT_ENV",
    "KEY_ENV",
    "MAX_CREDENTIAL_BYTES",
    "C2paSigner",
    "SignerIdentity",
    "SignerSettings",
    "check_credentials",
    "load_signer",
    "resolve_settings",
]
