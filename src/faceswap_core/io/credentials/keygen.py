"""An untrusted test CA and a C2PA signer certificate, made with ``cryptography``.

For trying signing and for tests (and for ``faceswap provenance keygen`` later):
:func:`make_test_chain` returns a CA certificate, a signer certificate issued by
it with the profile C2PA requires (not a CA, key usage ``digitalSignature``,
extended key usage ``emailProtection``, subject and authority key
identifiers), the chain PEM (signer first, then the CA) and the signer's key.
Nothing chains to a public trust list: verifiers show such files as signed by
an untrusted signer unless they are given the test CA as a trust anchor.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import attrs

from faceswap_core.errors import ConfigError
from faceswap_core.io.atomic import atomic_path, atomic_write_bytes, refuse_special
from faceswap_core.io.credentials import sdk

TEST_ORGANIZATION = "faceswap test credentials (untrusted)"
"""Organisation named in every test certificate, so a verifier's display says what it is."""

KEY_ALGORITHMS: tuple[str, ...] = ("es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519")
"""Algorithms :func:`make_test_chain` makes keys for (those of ``pipeline.c2pa.alg``)."""

CHAIN_FILES = {"ca": "ca.pem", "cert": "signer.pem", "key": "signer.key"}
"""File names :func:`write_test_chain` writes: the CA (a trust anchor), the chain, the key."""


@attrs.frozen
class TestChain:
    """A test CA and a signer certificate, as PEM bytes.

    :ivar alg: the signing algorithm the key is for (``pipeline.c2pa.alg``).
    :ivar ca: the CA certificate: give it to a verifier as a trust anchor.
    :ivar cert: the chain for ``pipeline.c2pa.cert``: signer certificate, then the CA.
    :ivar key: the signer's private key (PKCS#8, unencrypted) for ``pipeline.c2pa.key``.
    """

    __test__ = False  # not a pytest test class

    alg: str
    ca: bytes
    cert: bytes = attrs.field(repr=False)
    key: bytes = attrs.field(repr=False)


def _new_key(alg: str) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    curves: dict[str, ec.EllipticCurve] = {
        "es256": ec.SECP256R1(),
        "es384": ec.SECP384R1(),
        "es512": ec.SECP521R1(),
    }
    if alg in curves:
        return ec.generate_private_key(curves[alg])
    if alg.startswith("ps"):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ConfigError(
        f"unknown C2PA signing algorithm {alg!r}; use one of {', '.join(KEY_ALGORITHMS)}"
    )


def _digest(alg: str) -> Any:
    from cryptography.hazmat.primitives import hashes

    if alg == "ed25519":
        return None  # Ed25519 signs without a separate digest
    digests: dict[str, hashes.HashAlgorithm] = {
        "256": hashes.SHA256(),
        "384": hashes.SHA384(),
        "512": hashes.SHA512(),
    }
    return digests[alg[2:]]


def _key_usage(*, signer: bool) -> Any:
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signer,
        crl_sign=not signer,
        encipher_only=False,
        decipher_only=False,
    )


def make_test_chain(
    alg: str = "es256",
    *,
    common_name: str = "faceswap test signer",
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> TestChain:
    """A fresh test CA and signer certificate for ``alg``.

    :param not_before: start of the signer certificate's validity (default: an hour ago).
    :param not_after: its end (default: a year from now); a past date makes an
        expired certificate, for tests of what an expired signer does.
    :raises SdkMissingError: ``cryptography`` is not installed (``faceswap-core[c2pa]``).
    """
    sdk.require_cryptography()
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    start = not_before or now - dt.timedelta(hours=1)
    end = not_after or now + dt.timedelta(days=365)
    ca_key, signer_key = _new_key(alg), _new_key(alg)
    digest = _digest(alg)

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, TEST_ORGANIZATION),
            ]
        )

    ca_name = name("faceswap test CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(min(start, now) - dt.timedelta(days=1))
        .not_valid_after(max(end, now) + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signer=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, digest)
    )
    signer = (
        x509.CertificateBuilder()
        .subject_name(name(common_name))
        .issuer_name(ca_name)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signer=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, digest)
    )
    pem = serialization.Encoding.PEM
    key = signer_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    ca_pem = ca.public_bytes(pem)
    return TestChain(alg, ca_pem, signer.public_bytes(pem) + ca_pem, key)


def _write_private(path: Path, data: bytes, *, replace: bool) -> None:
    """Write a key readable by its owner only (0600), atomically."""
    with atomic_path(path, replace=replace) as temp:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)


def write_test_chain(
    folder: str | os.PathLike[str], alg: str = "es256", *, overwrite: bool = False
) -> dict[str, Path]:
    """Write ``ca.pem``, ``signer.pem`` (the chain) and ``signer.key`` (mode 0600) to ``folder``.

    :returns: the paths by role: ``ca``, ``cert``, ``key``.
    :raises ConfigError: a file exists and ``overwrite`` is false (nothing is written).
    :raises OutputPathError: a path is a device, FIFO, socket or symbolic link (even with
        ``overwrite``), or a file appeared there while the chain was made (without it).
    """
    target = Path(folder)
    paths = {role: target / name for role, name in CHAIN_FILES.items()}
    for path in paths.values():
        refuse_special(path)
    existing = [str(p) for p in paths.values() if os.path.lexists(p)]
    if existing and not overwrite:
        raise ConfigError(
            f"{', '.join(existing)} already exist; choose another folder or pass --overwrite"
        )
    chain = make_test_chain(alg)
    target.mkdir(parents=True, exist_ok=True)
    _write_private(paths["key"], chain.key, replace=overwrite)
    atomic_write_bytes(paths["cert"], chain.cert, replace=overwrite)
    atomic_write_bytes(paths["ca"], chain.ca, replace=overwrite)
    return paths


__all__ = [
    "CHAIN_FILES",
    "KEY_ALGORITHMS",
    "TEST_ORGANIZATION",
    "TestChain",
    "make_test_chain",
    "write_test_chain",
]
