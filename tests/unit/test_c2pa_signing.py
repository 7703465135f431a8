"""C2PA signing and verification with the real SDK (c2pa-python), on small encoded images.

Every manifest is read back with ``c2pa.Reader`` directly, independently of
faceswap's own reader, and the certificates come from
:func:`~faceswap_core.io.credentials.keygen.make_test_chain` (a test CA and a
signer certificate made with ``cryptography``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
import zlib
from pathlib import Path
from typing import Any

import c2pa
import numpy as np
import numpy.typing as npt
import pytest
from cryptography.hazmat.primitives import serialization
from PIL import Image as PILImage
from tests.conftest import digital_source_types

from faceswap_core.config.convert import structure
from faceswap_core.config.schema import C2paConfig, PipelineConfig
from faceswap_core.errors import ConfigError, OutputPathError, SignerError
from faceswap_core.io.credentials.keygen import (
    CHAIN_FILES,
    TestChain,
    make_test_chain,
    write_test_chain,
)
from faceswap_core.io.credentials.manifest import EDIT_ACTION
from faceswap_core.io.credentials.signer import (
    CERT_ENV,
    KEY_ENV,
    C2paSigner,
    load_signer,
    resolve_settings,
)
from faceswap_core.io.credentials.verify import load_trust_anchors, read_credentials
from faceswap_core.io.encode import OUTPUT_FORMATS, encode
from faceswap_core.io.hashing import sha256_bytes
from faceswap_core.io.provenance import (
    CAPTURE_COMPOSITE,
    TRAINED_COMPOSITE,
    Ingredient,
    Mark,
    describe_input,
)

FORMATS = tuple(OUTPUT_FORMATS)
READ_SETTINGS = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chains() -> dict[str, TestChain]:
    return {alg: make_test_chain(alg) for alg in ("es256", "ps256", "ed25519")}


def write_chain(folder: Path, chain: TestChain) -> C2paConfig:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chain.pem").write_bytes(chain.cert)
    (folder / "key.pem").write_bytes(chain.key)
    return C2paConfig(cert=str(folder / "chain.pem"), key=str(folder / "key.pem"), alg=chain.alg)


@pytest.fixture(scope="module")
def signer(chains: dict[str, TestChain], tmp_path_factory: pytest.TempPathFactory) -> C2paSigner:
    config = write_chain(tmp_path_factory.mktemp("es256"), chains["es256"])
    loaded = load_signer(config, environ={})
    assert loaded is not None
    return loaded


@pytest.fixture(scope="module")
def picture() -> npt.NDArray[np.uint8]:
    rng = np.random.default_rng(7)
    base = np.linspace(0, 255, 48 * 64 * 3).reshape(48, 64, 3)
    return np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)


def mark_for(signer: C2paSigner | None, target: bytes, source: bytes) -> Mark:
    return Mark(
        CAPTURE_COMPOSITE,
        "classic",
        None,
        (
            describe_input(target, "parentOf", "target image", keep_asset=True),
            describe_input(source, "componentOf", "source face"),
        ),
        signer,
    )


def sdk_store(data: bytes, mime: str, anchors: bytes | None = None) -> dict[str, Any]:
    """The manifest store as the SDK's own Reader reports it (not faceswap's reader)."""
    settings: dict[str, Any] = dict(READ_SETTINGS)
    if anchors is not None:
        settings["trust"] = {"trust_anchors": anchors.decode()}
    with (
        c2pa.Context.from_dict(settings) as context,
        c2pa.Reader(mime, io.BytesIO(data), context=context) as reader,
    ):
        store: dict[str, Any] = json.loads(reader.json())
        return store


def active(store: dict[str, Any]) -> dict[str, Any]:
    manifest: dict[str, Any] = store["manifests"][store["active_manifest"]]
    return manifest


def failure_codes(store: dict[str, Any]) -> set[str]:
    results = store["validation_results"]["activeManifest"]
    return {entry["code"] for entry in results.get("failure", [])}


# -- signing every format, read back by the SDK -----------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_signed_images_verify_with_the_sdk_and_keep_pixels_and_xmp(
    signer: C2paSigner, chains: dict[str, TestChain], picture: npt.NDArray[np.uint8], fmt: str
) -> None:
    mime = OUTPUT_FORMATS[fmt].mime
    target, source = encode(picture, "jpg", provenance=False), encode(picture[::-1], "png")
    mark = mark_for(signer, target, source)
    unsigned = encode(picture, fmt, provenance=mark_for(None, target, source))
    signed = encode(picture, fmt, provenance=mark)

    store = sdk_store(signed, mime)
    assert store["validation_state"] == "Valid"  # intact; the test CA is on no trust list
    assert failure_codes(store) == {"signingCredential.untrusted"}
    trusted = sdk_store(signed, mime, anchors=chains["es256"].ca)
    assert trusted["validation_state"] == "Trusted"
    assert failure_codes(trusted) == set()

    manifest = active(store)
    assert manifest["claim_generator_info"][0]["name"] == "faceswap"
    (actions,) = [a for a in manifest["assertions"] if a["label"].startswith("c2pa.actions")]
    by_name = {a["action"]: a for a in actions["data"]["actions"]}
    assert by_name["c2pa.opened"]  # the parent was opened, then edited
    edited = by_name[EDIT_ACTION]
    assert edited["digitalSourceType"] == CAPTURE_COMPOSITE
    assert edited["softwareAgent"]["name"] == "faceswap"
    assert edited["parameters"]["faceswap.model"] == "classic"
    assert len(edited["parameters"]["ingredients"]) == 2  # linked to target and source
    roles = {i["relationship"]: i for i in manifest["ingredients"]}
    assert roles["parentOf"]["title"] == "target image"
    assert roles["parentOf"]["metadata"]["faceswap.sha256"] == sha256_bytes(target)
    assert roles["componentOf"]["title"] == "source face"
    assert roles["componentOf"]["metadata"]["faceswap.sha256"] == sha256_bytes(source)
    assert "thumbnail" not in manifest
    assert all("thumbnail" not in i for i in manifest["ingredients"])

    with PILImage.open(io.BytesIO(signed)) as opened, PILImage.open(io.BytesIO(unsigned)) as plain:
        assert opened.format == plain.format
        assert np.array_equal(np.asarray(opened.convert("RGB")), np.asarray(plain.convert("RGB")))
    if fmt == "png":
        assert np.array_equal(np.asarray(PILImage.open(io.BytesIO(signed))), picture)
    assert digital_source_types(signed) == [CAPTURE_COMPOSITE]  # the XMP mark stays alongside


@pytest.mark.parametrize("alg", ["es256", "ps256", "ed25519"])
def test_every_algorithm_signs_and_is_reported(
    chains: dict[str, TestChain], tmp_path: Path, picture: npt.NDArray[np.uint8], alg: str
) -> None:
    signer = load_signer(write_chain(tmp_path, chains[alg]), environ={})
    assert signer is not None
    signed = encode(picture, "png", provenance=Mark(TRAINED_COMPOSITE, "onnx", signer=signer))
    store = sdk_store(signed, "image/png", anchors=chains[alg].ca)
    assert store["validation_state"] == "Trusted"
    assert active(store)["signature_info"]["alg"].lower() == alg


def test_model_sha256_is_recorded(signer: C2paSigner, picture: npt.NDArray[np.uint8]) -> None:
    digest = sha256_bytes(b"weights")
    mark = Mark(TRAINED_COMPOSITE, "inswapper", digest, signer=signer)
    store = sdk_store(encode(picture, "jpg", provenance=mark), "image/jpeg")
    (actions,) = [a for a in active(store)["assertions"] if a["label"].startswith("c2pa.actions")]
    (edited,) = [a for a in actions["data"]["actions"] if a["action"] == EDIT_ACTION]
    assert edited["digitalSourceType"] == TRAINED_COMPOSITE
    assert edited["parameters"]["faceswap.model_sha256"] == digest


def test_a_parent_with_credentials_joins_the_chain(
    signer: C2paSigner, picture: npt.NDArray[np.uint8]
) -> None:
    first = encode(picture, "jpg", provenance=Mark(signer=signer))
    second = encode(picture, "png", provenance=mark_for(signer, first, b"src"))
    store = sdk_store(second, "image/png")
    assert len(store["manifests"]) == 2
    parent = next(i for i in active(store)["ingredients"] if i["relationship"] == "parentOf")
    assert parent["active_manifest"] in store["manifests"]
    described = read_credentials(second, format="image/png")
    assert described.state == "untrusted"
    assert [i["credentials"] for i in described.ingredients if i["relationship"] == "parentOf"] == [
        True
    ]


def test_no_secret_path_or_picture_goes_into_a_manifest(
    chains: dict[str, TestChain], tmp_path: Path, picture: npt.NDArray[np.uint8]
) -> None:
    folder = tmp_path / "private-credentials"
    signer = load_signer(write_chain(folder, chains["es256"]), environ={})
    target_path, source_path = tmp_path / "alice-target.jpg", tmp_path / "bob-secret-source.png"
    target_path.write_bytes(encode(picture, "jpg", provenance=False))
    source_path.write_bytes(encode(picture[::-1], "png", provenance=False))
    mark = Mark(
        CAPTURE_COMPOSITE,
        "classic",
        None,
        (
            describe_input(target_path, "parentOf", "target image", keep_asset=True),
            describe_input(source_path, "componentOf", "source face"),
        ),
        signer,
    )
    signed = encode(picture, "webp", provenance=mark)
    with (
        c2pa.Context.from_dict(READ_SETTINGS) as context,
        c2pa.Reader("image/webp", io.BytesIO(signed), context=context) as reader,
    ):
        text = reader.json() + reader.detailed_json()
    private_key = serialization.load_pem_private_key(chains["es256"].key, None)
    secret = private_key.private_numbers().private_value  # type: ignore[union-attr]
    for needle in (str(tmp_path), "/tmp", "alice", "bob-secret", "private-credentials", "key.pem"):
        assert needle not in text, needle
        assert needle.encode() not in signed, needle
    assert format(secret, "x") not in text
    assert b"PRIVATE KEY" not in signed


# -- tampering: never valid -------------------------------------------------------------------


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, at = [], 8
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        chunks.append((data[at + 4 : at + 8], data[at + 8 : at + 8 + length]))
        at += 12 + length
    return chunks


def png_bytes(chunks: list[tuple[bytes, bytes]]) -> bytes:
    out = [b"\x89PNG\r\n\x1a\n"]
    for kind, body in chunks:
        crc = zlib.crc32(kind + body).to_bytes(4, "big")
        out.append(len(body).to_bytes(4, "big") + kind + body + crc)
    return b"".join(out)


def change_one_png_pixel(data: bytes) -> bytes:
    """The same PNG with one sample of one pixel changed (valid chunks and CRCs)."""
    chunks = png_chunks(data)
    first = next(i for i, (kind, _) in enumerate(chunks) if kind == b"IDAT")
    raw = bytearray(zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT")))
    raw[1 + 5] ^= 0x01  # row 0 (after its filter byte), second pixel, its green sample
    rest = [c for c in chunks if c[0] != b"IDAT"]
    return png_bytes([*rest[:first], (b"IDAT", zlib.compress(bytes(raw))), *rest[first:]])


def jpeg_segments(data: bytes, marker: int) -> list[bytes]:
    found, at = [], 2
    while data[at] == 0xFF and data[at + 1] not in (0xDA, 0xD9):
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if data[at + 1] == marker:
            found.append(data[at : at + 2 + length])
        at += 2 + length
    return found


def test_a_changed_pixel_is_invalid(signer: C2paSigner, picture: npt.NDArray[np.uint8]) -> None:
    signed = encode(picture, "png", provenance=Mark(signer=signer))
    changed = change_one_png_pixel(signed)
    before = np.asarray(PILImage.open(io.BytesIO(signed))).astype(int)
    after = np.asarray(PILImage.open(io.BytesIO(changed))).astype(int)
    assert np.count_nonzero(before != after) == 1  # one sample of one pixel, nothing else
    store = sdk_store(changed, "image/png")
    assert store["validation_state"] == "Invalid"
    assert "assertion.dataHash.mismatch" in failure_codes(store)
    ours = read_credentials(changed)
    assert ours.state == "invalid"
    assert "assertion.dataHash.mismatch" in ours.codes
    assert not ours.passes()


def test_a_transplanted_manifest_is_invalid(
    signer: C2paSigner, picture: npt.NDArray[np.uint8]
) -> None:
    """The JUMBF (APP11) segments of a signed JPEG put into another picture's JPEG."""
    signed = encode(picture, "jpg", provenance=Mark(signer=signer))
    other = encode(255 - picture, "jpg", provenance=False)
    manifest = b"".join(jpeg_segments(signed, 0xEB))
    assert manifest
    forged = other[:2] + manifest + other[2:]
    assert sdk_store(forged, "image/jpeg")["validation_state"] == "Invalid"
    assert read_credentials(forged, format="image/jpeg").state == "invalid"


@pytest.mark.parametrize("fmt", FORMATS)
def test_cut_reencoded_and_cropped_copies_are_never_valid(
    signer: C2paSigner, picture: npt.NDArray[np.uint8], fmt: str
) -> None:
    signed = encode(picture, fmt, provenance=Mark(signer=signer))
    mime = OUTPUT_FORMATS[fmt].mime
    assert read_credentials(signed, format=mime).state == "untrusted"
    cut = read_credentials(signed[: len(signed) - 64], format=mime)
    assert cut.state == "invalid"
    assert cut.codes
    pil = OUTPUT_FORMATS[fmt].pil_name
    for copy in (
        PILImage.open(io.BytesIO(signed)).convert("RGB"),
        PILImage.open(io.BytesIO(signed)).convert("RGB").crop((4, 4, 40, 30)),
    ):
        buffer = io.BytesIO()
        copy.save(buffer, pil)
        state = read_credentials(buffer.getvalue(), format=mime).state
        assert state in ("absent", "invalid")


# -- verification states ----------------------------------------------------------------------


def test_states_and_trust_anchors(
    signer: C2paSigner,
    chains: dict[str, TestChain],
    tmp_path: Path,
    picture: npt.NDArray[np.uint8],
) -> None:
    signed = encode(picture, "png", provenance=Mark(signer=signer))
    path = tmp_path / "out.png"
    path.write_bytes(signed)
    untrusted = read_credentials(path)
    assert untrusted.state == "untrusted"
    assert untrusted.passes()
    assert not untrusted.passes(require_trust=True)
    assert untrusted.signer["common_name"] == "faceswap test signer"
    assert untrusted.claim_generator is not None
    assert untrusted.claim_generator.startswith("faceswap ")
    (tmp_path / "ca.pem").write_bytes(chains["es256"].ca)
    trusted = read_credentials(path, trust_anchors=tmp_path / "ca.pem")
    assert trusted.state == "valid"
    assert trusted.passes(require_trust=True)
    elsewhere = read_credentials(path, trust_anchors=chains["ps256"].ca)  # another CA
    assert elsewhere.state == "untrusted"
    assert not elsewhere.passes(require_trust=True)
    assert "none of the given trust anchors" in elsewhere.describe()
    absent = read_credentials(encode(picture, "png"), format="image/png")
    assert absent.state == "absent"
    assert not absent.passes()
    assert absent.to_dict()["state"] == "absent"


def test_trust_anchors_must_be_certificates(tmp_path: Path) -> None:
    notes = tmp_path / "notes.pem"
    notes.write_text("not a certificate")
    with pytest.raises(ConfigError, match="not PEM certificates"):
        load_trust_anchors(notes)
    with pytest.raises(ConfigError, match="not PEM certificates"):
        read_credentials(b"\x89PNG", trust_anchors="-----BEGIN CERTIFICATE-----\nxx")


# -- a signer that cannot sign: one line, exit 5, before any work ------------------------------


def chain_with(alg: str = "es256", **dates: dt.datetime) -> TestChain:
    return make_test_chain(alg, **dates)


def failure(config: C2paConfig, environ: dict[str, str] | None = None) -> SignerError:
    with pytest.raises(SignerError) as caught:
        load_signer(config, environ=environ or {})
    error = caught.value
    assert error.exit_code == 5
    assert "\n" not in str(error)
    return error


def test_unreadable_or_half_configured_credentials(
    chains: dict[str, TestChain], tmp_path: Path
) -> None:
    good = write_chain(tmp_path, chains["es256"])
    assert "pipeline.c2pa.key" in str(failure(C2paConfig(cert=good.cert)))
    assert "pipeline.c2pa.cert" in str(failure(C2paConfig(key=good.key)))
    missing = failure(C2paConfig(cert=str(tmp_path / "gone.pem"), key=good.key))
    assert "gone.pem" in str(missing)
    assert "no such file" in str(missing)
    (tmp_path / "junk.pem").write_text("hello")
    assert "not a PEM certificate chain" in str(
        failure(C2paConfig(cert=str(tmp_path / "junk.pem"), key=good.key))
    )
    assert "not a PEM private key" in str(
        failure(C2paConfig(cert=good.cert, key=str(tmp_path / "junk.pem")))
    )
    assert "is a folder" in str(failure(C2paConfig(cert=str(tmp_path), key=good.key)))


def test_a_key_that_is_not_the_certificates(chains: dict[str, TestChain], tmp_path: Path) -> None:
    own = write_chain(tmp_path / "a", chains["es256"])
    other = write_chain(tmp_path / "b", make_test_chain("es256"))
    error = failure(C2paConfig(cert=own.cert, key=other.key))
    assert "does not match the first certificate" in str(error)


def test_a_key_of_the_wrong_type_for_alg(chains: dict[str, TestChain], tmp_path: Path) -> None:
    config = write_chain(tmp_path, chains["es256"])
    assert "needs an RSA key" in str(failure(C2paConfig(config.cert, config.key, "ps256")))
    assert "needs an Ed25519 key" in str(failure(C2paConfig(config.cert, config.key, "ed25519")))
    assert "secp384r1" in str(failure(C2paConfig(config.cert, config.key, "es384")))


def test_an_encrypted_key_is_refused_with_what_to_do(
    chains: dict[str, TestChain], tmp_path: Path
) -> None:
    config = write_chain(tmp_path, chains["es256"])
    key = serialization.load_pem_private_key(chains["es256"].key, None)
    locked = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    Path(str(config.key)).write_bytes(locked)
    assert "encrypted" in str(failure(config))


def test_expired_and_future_certificates(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    expired = chain_with(
        not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(days=1)
    )
    error = failure(write_chain(tmp_path / "old", expired))
    assert "expired on" in str(error)
    future = chain_with(not_before=now + dt.timedelta(days=2), not_after=now + dt.timedelta(days=9))
    assert "not valid before" in str(failure(write_chain(tmp_path / "new", future)))


def test_a_self_signed_certificate_is_refused_by_the_trial_signature(tmp_path: Path) -> None:
    """The SDK's own profile check (found by signing once) with a hint of what C2PA needs."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "self")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "c.pem").write_bytes(pem)
    (tmp_path / "k.pem").write_bytes(key_pem)
    error = failure(C2paConfig(cert=str(tmp_path / "c.pem"), key=str(tmp_path / "k.pem")))
    assert "cannot sign a test image" in str(error)
    assert "not self-signed" in str(error)


def test_an_unreachable_time_stamp_authority_fails_before_work(
    chains: dict[str, TestChain], tmp_path: Path
) -> None:
    config = write_chain(tmp_path, chains["es256"])
    offline = C2paConfig(config.cert, config.key, "es256", "http://127.0.0.1:9/tsa")
    assert "pipeline.c2pa.tsa_url" in str(failure(offline))


def test_the_environment_fills_what_the_config_leaves_unset(
    chains: dict[str, TestChain], tmp_path: Path
) -> None:
    config = write_chain(tmp_path, chains["es256"])
    environ = {CERT_ENV: str(config.cert), KEY_ENV: str(config.key)}
    assert resolve_settings(C2paConfig(), environ={}) is None
    from_env = resolve_settings(C2paConfig(), environ=environ)
    assert from_env is not None
    assert str(from_env.cert) == config.cert
    assert load_signer(C2paConfig(), environ=environ) is not None
    other = write_chain(tmp_path / "other", chains["ps256"])
    winner = resolve_settings(other, environ=environ)  # the config wins over the environment
    assert winner is not None
    assert (str(winner.cert), winner.alg) == (other.cert, "ps256")
    assert "pipeline.c2pa.cert" in str(failure(C2paConfig(), {KEY_ENV: str(config.key)}))


def test_config_checks_alg_and_tsa_url() -> None:
    assert structure({"c2pa": {"alg": "ed25519"}}, PipelineConfig).c2pa.alg == "ed25519"
    with pytest.raises(ConfigError, match=r"\$\.c2pa\.alg"):
        structure({"c2pa": {"alg": "rsa"}}, PipelineConfig)
    for url in ("ftp://tsa.example", "tsa.example", "https://", " https://tsa.example"):
        with pytest.raises(ConfigError, match="tsa_url"):
            structure({"c2pa": {"tsa_url": url}}, PipelineConfig)
    with pytest.raises(ConfigError, match=r"c2pa\.certificate"):
        structure({"c2pa": {"certificate": "x.pem"}}, PipelineConfig)


def test_formats_that_cannot_carry_a_manifest_are_refused(signer: C2paSigner) -> None:
    with pytest.raises(SignerError, match="cannot carry a C2PA manifest") as caught:
        signer.check_format("video/x-matroska", "output 'out.mkv'")
    assert caught.value.exit_code == 5
    for mime in ("image/png", "image/jpeg", "image/webp", "video/mp4", "video/quicktime"):
        signer.check_format(mime, "output")


# -- the test key helper -------------------------------------------------------------------------


def test_write_test_chain_never_overwrites_and_protects_the_key(tmp_path: Path) -> None:
    paths = write_test_chain(tmp_path / "keys", "es256")
    assert {p.name for p in paths.values()} == set(CHAIN_FILES.values())
    assert paths["key"].stat().st_mode & 0o077 == 0
    before = paths["key"].read_bytes()
    with pytest.raises(ConfigError, match="already exist"):
        write_test_chain(tmp_path / "keys", "es256")
    assert paths["key"].read_bytes() == before
    signer = load_signer(C2paConfig(str(paths["cert"]), str(paths["key"])), environ={})
    assert signer is not None
    assert "untrusted" in signer.identity.issuer


def test_write_test_chain_keeps_a_key_that_appeared_while_it_worked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without overwrite the final rename cannot replace a file made after the check."""
    from faceswap_core.io.credentials import keygen

    folder = tmp_path / "keys"
    folder.mkdir()
    real = keygen.make_test_chain

    def racing(alg: str) -> TestChain:
        (folder / CHAIN_FILES["key"]).write_bytes(b"someone else's key")
        return real(alg)

    monkeypatch.setattr(keygen, "make_test_chain", racing)
    with pytest.raises(OutputPathError, match="exists"):
        write_test_chain(folder, "es256")
    assert (folder / CHAIN_FILES["key"]).read_bytes() == b"someone else's key"


def test_describe_input_hashes_files_and_bytes_only(
    tmp_path: Path, picture: npt.NDArray[np.uint8]
) -> None:
    data = encode(picture, "jpg", provenance=False)
    (tmp_path / "t.jpg").write_bytes(data)
    from_file = describe_input(tmp_path / "t.jpg", "parentOf", "target image", keep_asset=True)
    from_bytes = describe_input(data, "componentOf", "source face")
    assert from_file.sha256 == from_bytes.sha256 == sha256_bytes(data)
    assert from_file.format == from_bytes.format == "image/jpeg"
    assert from_file.asset == tmp_path / "t.jpg"
    assert from_bytes.asset is None  # a component is hashed, never kept
    assert describe_input(picture, "parentOf", "target image") == Ingredient(
        "parentOf", "target image"
    )


def test_without_the_sdk_signing_is_refused_and_reading_says_so(
    chains: dict[str, TestChain],
    tmp_path: Path,
    picture: npt.NDArray[np.uint8],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """faceswap-core without the [c2pa] extra: ``import c2pa`` fails (None in sys.modules)."""
    config = write_chain(tmp_path, chains["es256"])
    signed = encode(picture, "png", provenance=Mark(signer=load_signer(config, environ={})))
    monkeypatch.setitem(sys.modules, "c2pa", None)
    error = failure(config)
    assert "pip install 'faceswap-core[c2pa]'" in str(error)
    described = read_credentials(signed, format="image/png")
    assert described.state == "unavailable"
    assert not described.passes()
    assert "faceswap-core[c2pa]" in described.describe()
