"""``faceswap provenance keygen`` and ``faceswap inspect --verify [--trust CA.pem]``, on the
command line and in Python: the gate passes an intact manifest only.

The chain comes from the ``keygen`` command itself, the signed file from ``faceswap swap``
with it, and the tampered copies from real edits (one PNG sample changed with valid CRCs,
a cut file, a Pillow re-encode).
"""

from __future__ import annotations

import io
import json
import stat
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from PIL import Image as PILImage
from tests.unit.test_c2pa_signing import change_one_png_pixel

import faceswap
from faceswap_core.cli.main import make_cli
from faceswap_core.errors import ConfigError, CredentialsError, FaceswapWarning
from faceswap_core.io.credentials.keygen import KEY_ALGORITHMS
from faceswap_core.plugin.manager import FaceswapPlugins


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


def run(plugins: FaceswapPlugins, *args: str | Path) -> Result:
    return CliRunner().invoke(make_cli(plugins), [str(a) for a in args])


@pytest.fixture(scope="module")
def keys(plugins: FaceswapPlugins, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keygen") / "keys"
    made = run(plugins, "provenance", "keygen", "-o", folder, "--json")
    assert made.exit_code == 0, made.output
    paths = {role: Path(p) for role, p in json.loads(made.stdout).items() if role != "alg"}
    assert set(paths) == {"ca", "cert", "key"}
    return paths


@pytest.fixture(scope="module")
def signed(
    plugins: FaceswapPlugins,
    keys: dict[str, Path],
    tom_hanks_path: Path,
    t1_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    out = tmp_path_factory.mktemp("signed") / "swapped.png"
    done = run(
        plugins, "swap", "-s", tom_hanks_path, "-t", t1_path, "--faces", "largest", "-o", out,
        "--set", f"pipeline.c2pa.cert={keys['cert']}", "--set", f"pipeline.c2pa.key={keys['key']}",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    return out


# -- provenance keygen --------------------------------------------------------------------------


def test_keygen_writes_a_chain_that_signs_and_protects_its_key(
    plugins: FaceswapPlugins, keys: dict[str, Path]
) -> None:
    assert stat.S_IMODE(keys["key"].stat().st_mode) == 0o600
    assert keys["cert"].read_text().count("BEGIN CERTIFICATE") == 2  # signer, then the CA
    assert keys["ca"].read_text().count("BEGIN CERTIFICATE") == 1
    text = run(plugins, "provenance", "keygen", "-o", keys["ca"].parent / "again")
    assert text.exit_code == 0, text.output
    assert "inspect --verify --trust" in text.stdout
    assert "untrusted" in text.stdout


def test_keygen_keeps_existing_files_unless_overwrite(
    plugins: FaceswapPlugins, tmp_path: Path
) -> None:
    first = run(plugins, "provenance", "keygen", "-o", tmp_path)
    assert first.exit_code == 0, first.output
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    again = run(plugins, "provenance", "keygen", "-o", tmp_path, "--alg", "ed25519")
    assert again.exit_code == 2
    assert again.output.count("\n") == 1
    assert "--overwrite" in again.output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    replaced = run(
        plugins, "provenance", "keygen", "-o", tmp_path, "--alg", "ed25519", "--overwrite"
    )
    assert replaced.exit_code == 0, replaced.output
    assert (tmp_path / "signer.key").read_bytes() != before["signer.key"]


def test_keygen_refuses_an_unknown_algorithm_on_every_surface(
    plugins: FaceswapPlugins, tmp_path: Path
) -> None:
    bad = run(plugins, "provenance", "keygen", "-o", tmp_path, "--alg", "md5")
    assert bad.exit_code == 2
    assert "alg" in bad.output
    assert "es256" in bad.output
    assert not any(tmp_path.iterdir())
    with pytest.raises(ConfigError, match="alg"):
        faceswap.provenance_keygen(tmp_path, alg="md5")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("alg", ["ps256", "ed25519"])
def test_python_keygen_returns_the_paths(tmp_path: Path, alg: str) -> None:
    assert alg in KEY_ALGORITHMS
    paths = faceswap.provenance_keygen(tmp_path / alg, alg=alg)
    assert {role: p.name for role, p in paths.items()} == {
        "ca": "ca.pem",
        "cert": "signer.pem",
        "key": "signer.key",
    }
    assert all(p.is_file() for p in paths.values())


# -- inspect --verify ---------------------------------------------------------------------------


def test_an_untrusted_signer_passes_with_a_warning(plugins: FaceswapPlugins, signed: Path) -> None:
    checked = run(plugins, "inspect", signed, "--verify")
    assert checked.exit_code == 0, checked.output
    assert "C2PA: valid signature by an untrusted signer" in checked.stdout
    assert "Warning:" in checked.stderr
    assert "--trust" in checked.stderr


def test_a_trusted_signer_passes_silently(
    plugins: FaceswapPlugins, signed: Path, keys: dict[str, Path]
) -> None:
    checked = run(plugins, "inspect", signed, "--verify", "--trust", keys["ca"], "--json")
    assert checked.exit_code == 0, checked.output
    lines = [json.loads(line) for line in checked.stdout.splitlines()]
    assert lines[0]["c2pa"]["state"] == "valid"
    assert lines[-1]["summary"] == {"files": 1, "c2pa": "valid", "verified": True}
    assert "Warning" not in checked.stderr


def test_another_ca_fails_when_trust_is_required(
    plugins: FaceswapPlugins, signed: Path, tmp_path: Path
) -> None:
    other = faceswap.provenance_keygen(tmp_path / "other")
    checked = run(plugins, "inspect", signed, "--verify", "--trust", other["ca"], "--json")
    assert checked.exit_code == 3
    assert checked.stderr.count("\n") == 1
    assert "C2PA verification failed" in checked.stderr
    assert "none of the given trust anchors" in checked.stderr
    assert json.loads(checked.stdout.splitlines()[-1])["summary"]["verified"] is False
    plain = run(plugins, "inspect", signed, "--trust", other["ca"])  # no gate: exit 0
    assert plain.exit_code == 0, plain.output
    assert "untrusted" in plain.stdout


def test_tampered_cut_reencoded_and_unsigned_files_fail(
    plugins: FaceswapPlugins, signed: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    data = signed.read_bytes()
    changed = tmp_path / "changed.png"
    changed.write_bytes(change_one_png_pixel(data))
    cut = tmp_path / "cut.png"
    cut.write_bytes(data[: len(data) - 64])
    reencoded = tmp_path / "reencoded.png"
    PILImage.open(io.BytesIO(data)).convert("RGB").save(reencoded)
    expected = {changed: "INVALID", cut: "INVALID", reencoded: "absent"}
    for path, shown in expected.items():
        checked = run(plugins, "inspect", path, "--verify", "--trust", keys["ca"])
        assert checked.exit_code == 3, (path.name, checked.output)
        assert checked.stderr.startswith("Error: ")
        assert checked.stderr.count("\n") == 1
        assert shown in checked.stderr, checked.stderr
    assert "assertion.dataHash.mismatch" in run(plugins, "inspect", changed, "--verify").stderr


def test_trust_must_be_pem_certificates(
    plugins: FaceswapPlugins, signed: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.pem"
    notes.write_text("not a certificate\n")
    checked = run(plugins, "inspect", signed, "--verify", "--trust", notes)
    assert checked.exit_code == 2
    assert "not PEM certificates" in checked.output
    missing = run(plugins, "inspect", signed, "--trust", tmp_path / "nope.pem")
    assert missing.exit_code == 3


def test_python_inspect_is_the_same_gate(
    signed: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    record = faceswap.inspect(signed, trust=keys["ca"])
    assert record["c2pa"]["state"] == "valid"
    assert record["width"] > 0
    assert record["provenance"] is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        faceswap.inspect(signed, verify=True)
    assert [w for w in caught if issubclass(w.category, FaceswapWarning)]
    changed = tmp_path / "changed.png"
    changed.write_bytes(change_one_png_pixel(signed.read_bytes()))
    with pytest.raises(CredentialsError, match="INVALID") as failed:
        faceswap.inspect(changed, verify=True, trust=keys["ca"])
    assert failed.value.exit_code == 3
    assert faceswap.inspect(changed)["c2pa"]["state"] == "invalid"  # no gate, no error
