"""Signed C2PA outputs through every path: ``faceswap swap`` with ``--set pipeline.c2pa...``,
the Python API, ``faceswap demo`` with the environment variables, and the video job.

Manifests are read back with the SDK's own ``c2pa.Reader`` (independently of
faceswap's reader) and with ``faceswap inspect``; outputs are opened with Pillow
and PyAV. Certificates come from a test CA made with ``cryptography``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import av
import c2pa
import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image as PILImage
from tests.conftest import digital_source_types
from tests.video.clips import decode_video, encode, pan_zoom

import faceswap
from faceswap_core.cli.main import make_cli
from faceswap_core.errors import SignerError
from faceswap_core.interfaces.face import Image
from faceswap_core.io.credentials.keygen import write_test_chain
from faceswap_core.io.credentials.signer import CERT_ENV, KEY_ENV
from faceswap_core.io.credentials.verify import read_credentials
from faceswap_core.io.encode import OUTPUT_FORMATS, write_image
from faceswap_core.io.hashing import sha256_file
from faceswap_core.io.provenance import CAPTURE_COMPOSITE
from faceswap_core.plugin.manager import FaceswapPlugins

FORMATS = tuple(OUTPUT_FORMATS)


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_test_chain(tmp_path_factory.mktemp("keys"), "es256")


def signing(keys: dict[str, Path]) -> list[str]:
    return [
        "--set",
        f"pipeline.c2pa.cert={keys['cert']}",
        "--set",
        f"pipeline.c2pa.key={keys['key']}",
    ]


def run(plugins: FaceswapPlugins, *args: str | Path) -> Result:
    return CliRunner().invoke(make_cli(plugins), [str(a) for a in args])


def sdk_store(path: Path, anchors: Path | None = None) -> dict[str, Any]:
    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False}}
    if anchors is not None:
        settings["trust"] = {"trust_anchors": anchors.read_text()}
    with c2pa.Context.from_dict(settings) as context, c2pa.Reader(path, context=context) as reader:
        store: dict[str, Any] = json.loads(reader.json())
        return store


def edit_of(store: dict[str, Any]) -> dict[str, Any]:
    manifest = store["manifests"][store["active_manifest"]]
    for assertion in manifest["assertions"]:
        for action in assertion.get("data", {}).get("actions", []):
            if action["action"] == "c2pa.edited":
                found: dict[str, Any] = action
                return found
    raise AssertionError("no c2pa.edited action")


def ingredients_of(store: dict[str, Any]) -> dict[str, dict[str, Any]]:
    manifest = store["manifests"][store["active_manifest"]]
    return {i["relationship"]: i for i in manifest["ingredients"]}


# -- faceswap swap -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_swap_signs_every_format(
    plugins: FaceswapPlugins,
    keys: dict[str, Path],
    tom_hanks_path: Path,
    t1_path: Path,
    tmp_path: Path,
    fmt: str,
) -> None:
    out = tmp_path / f"swapped.{fmt}"
    result = run(
        plugins, "swap", "-s", tom_hanks_path, "-t", t1_path, "--faces", "largest",
        "-o", out, "--json", *signing(keys),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.splitlines()[0])
    assert (record["provenance"], record["signed"]) == (True, True)

    store = sdk_store(out)
    assert store["validation_state"] == "Valid"  # intact, signer not on a trust list
    assert sdk_store(out, keys["ca"])["validation_state"] == "Trusted"
    edit = edit_of(store)
    assert edit["digitalSourceType"] == CAPTURE_COMPOSITE
    assert edit["parameters"]["faceswap.model"] == "classic"
    roles = ingredients_of(store)
    assert roles["parentOf"]["metadata"]["faceswap.sha256"] == sha256_file(t1_path)
    assert roles["componentOf"]["metadata"]["faceswap.sha256"] == sha256_file(tom_hanks_path)
    assert (roles["parentOf"]["title"], roles["componentOf"]["title"]) == (
        "target image",
        "source face",
    )
    assert digital_source_types(out.read_bytes()) == [CAPTURE_COMPOSITE]
    with PILImage.open(out) as opened:
        assert opened.size == PILImage.open(t1_path).size

    with c2pa.Reader(out) as reader:
        text = reader.json() + reader.detailed_json()
    for needle in (str(tmp_path), str(keys["key"].parent), "Tom_Hanks", "t1.jpg", "/tmp"):
        assert needle not in text, needle

    shown = run(plugins, "inspect", out)
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert any(line.startswith("C2PA: valid signature by an untrusted signer") for line in lines)
    assert any("c2pa.edited" in line and "model classic" in line for line in lines)
    assert any(line.startswith("  ingredient: source face (componentOf") for line in lines)


def test_a_signer_that_cannot_sign_stops_before_any_work(
    plugins: FaceswapPlugins,
    keys: dict[str, Path],
    tom_hanks_path: Path,
    t1_path: Path,
    tmp_path: Path,
) -> None:
    other = write_test_chain(tmp_path / "other", "es256")
    out = tmp_path / "new-folder" / "out.png"
    result = run(
        plugins, "swap", "-s", tom_hanks_path, "-t", t1_path, "-o", out,
        "--set", f"pipeline.c2pa.cert={keys['cert']}", "--set", f"pipeline.c2pa.key={other['key']}",
    )  # fmt: skip
    assert result.exit_code == 5
    assert result.stdout == ""
    assert result.stderr.startswith("Error: C2PA key ")
    assert "does not match" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "new-folder").exists()  # nothing made, not even the folder
    bad_alg = run(
        plugins, "swap", "-s", tom_hanks_path, "-t", t1_path, "-o", out, *signing(keys),
        "--set", "pipeline.c2pa.alg=ps256",
    )  # fmt: skip
    assert bad_alg.exit_code == 5
    assert "needs an RSA key" in bad_alg.stderr
    unknown = run(
        plugins, "swap", "-s", tom_hanks_path, "-t", t1_path, "-o", out, *signing(keys),
        "--set", "pipeline.c2pa.alg=md5",
    )  # fmt: skip
    assert unknown.exit_code == 2
    assert "$.pipeline.c2pa.alg" in unknown.stderr
    refused = run(
        plugins, "swap", "-s", tom_hanks_path, "-t", t1_path, "-o", out, *signing(keys),
        "--no-provenance",
    )  # fmt: skip
    assert refused.exit_code == 2
    assert "--no-provenance contradicts pipeline.c2pa" in refused.stderr
    assert not out.exists()


# -- the Python API and the environment --------------------------------------------------------


def test_python_api_signs_what_it_writes(
    keys: dict[str, Path], tom_hanks_path: Path, t1_path: Path, tmp_path: Path
) -> None:
    pipeline = faceswap.load(
        {"pipeline": {"c2pa": {"cert": str(keys["cert"]), "key": str(keys["key"])}}}
    )
    result = pipeline.swap(t1_path, tom_hanks_path, faces="largest")
    out = write_image(
        tmp_path / "api.webp",
        result.image,
        provenance=pipeline.mark(target=t1_path, source=tom_hanks_path),
    )
    described = read_credentials(out, trust_anchors=keys["ca"])
    assert described.state == "valid"
    (edited,) = [a for a in described.actions if a["action"] == "c2pa.edited"]
    assert edited["digital_source_type"] == CAPTURE_COMPOSITE
    parent = next(i for i in described.ingredients if i["relationship"] == "parentOf")
    assert parent["sha256"] == sha256_file(t1_path)


def test_demo_signs_with_the_environment_variables(
    plugins: FaceswapPlugins,
    keys: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(CERT_ENV, str(keys["cert"]))
    monkeypatch.setenv(KEY_ENV, str(keys["key"]))
    result = run(plugins, "demo", "-o", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    for name in ("swap.png", "side_by_side.png"):
        described = read_credentials(tmp_path / "demo" / name, trust_anchors=keys["ca"])
        assert described.state == "valid", name
        titles = sorted(i["title"] for i in described.ingredients)
        assert titles == ["source face", "target image"]  # in-memory inputs: no hash to record
        assert all(i["sha256"] is None for i in described.ingredients)
    monkeypatch.setenv(KEY_ENV, str(tmp_path / "missing.key"))
    broken = run(plugins, "demo", "-o", tmp_path / "again")
    assert broken.exit_code == 5
    assert "missing.key" in broken.stderr


# -- video -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory, astronaut_image: Image) -> Path:
    frames, _ = pan_zoom(
        astronaut_image, (240, 180), 8, centre=(225, 120), travel=(16, 0), scale=0.6, zoom=0.05
    )
    return encode(tmp_path_factory.mktemp("c2pa-clip") / "clip.mp4", frames)


@pytest.fixture(scope="module")
def signed_pipeline(keys: dict[str, Path]) -> faceswap.Pipeline:
    return faceswap.load(
        {"pipeline": {"c2pa": {"cert": str(keys["cert"]), "key": str(keys["key"])}}}
    )


@pytest.mark.parametrize("suffix", [".mp4", ".mov"])
def test_video_outputs_are_signed_and_still_play(
    signed_pipeline: faceswap.Pipeline,
    keys: dict[str, Path],
    clip: Path,
    tom_hanks_path: Path,
    tmp_path: Path,
    suffix: str,
) -> None:
    out = tmp_path / f"swapped{suffix}"
    report = faceswap.swap_video(clip, tom_hanks_path, out, pipeline=signed_pipeline)
    assert (report.provenance, report.signed) == (True, True)
    store = sdk_store(out)
    assert store["validation_state"] == "Valid"
    assert sdk_store(out, keys["ca"])["validation_state"] == "Trusted"
    assert edit_of(store)["digitalSourceType"] == CAPTURE_COMPOSITE
    roles = ingredients_of(store)
    assert roles["parentOf"]["title"] == "target video"
    assert roles["parentOf"]["metadata"]["faceswap.sha256"] == sha256_file(clip)
    frames, _ = decode_video(out)
    assert len(frames) == 8
    with av.open(str(out)) as container:
        assert CAPTURE_COMPOSITE in container.metadata["xmp"]  # the XMP tag stays alongside

    tampered = tmp_path / f"tampered{suffix}"
    data = bytearray(out.read_bytes())
    data[len(data) * 2 // 3] ^= 0xFF  # a byte of the coded frames
    tampered.write_bytes(bytes(data))
    state = read_credentials(tampered)
    assert state.state == "invalid"
    assert "assertion.bmffHash.mismatch" in state.codes


def test_signing_a_video_keeps_every_frame(
    signed_pipeline: faceswap.Pipeline, clip: Path, tom_hanks_path: Path, tmp_path: Path
) -> None:
    plain = tmp_path / "plain.mp4"
    faceswap.swap_video(clip, tom_hanks_path, plain, pipeline=faceswap.load())
    copy = tmp_path / "copy.mp4"
    shutil.copyfile(plain, copy)
    signer = signed_pipeline.signer
    assert signer is not None
    signer.sign_file(copy, "video/mp4", signed_pipeline.mark(target=clip, source=tom_hanks_path))
    before, times_before = decode_video(plain)
    after, times_after = decode_video(copy)
    assert times_after == times_before
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    assert read_credentials(plain).state == "absent"
    assert read_credentials(copy).state == "untrusted"


def test_a_container_without_c2pa_is_refused_before_work(
    signed_pipeline: faceswap.Pipeline, clip: Path, tom_hanks_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "swapped.mkv"
    with pytest.raises(SignerError, match="cannot carry a C2PA manifest") as caught:
        faceswap.swap_video(clip, tom_hanks_path, out, pipeline=signed_pipeline)
    assert caught.value.exit_code == 5
    assert list(tmp_path.iterdir()) == []


def test_cli_video_and_inspect_show_the_signature(
    plugins: FaceswapPlugins,
    keys: dict[str, Path],
    clip: Path,
    tom_hanks_path: Path,
    tmp_path: Path,
) -> None:
    out = tmp_path / "cli.mov"
    done = run(
        plugins, "video", "-s", tom_hanks_path, "-t", clip, "-o", out, "--json", *signing(keys)
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout.strip().splitlines()[0])["signed"] is True
    shown = run(plugins, "inspect", out, "--json")
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.stdout.splitlines()[0])
    assert report["c2pa"]["state"] == "untrusted"
    assert report["c2pa"]["signer"]["common_name"] == "faceswap test signer"
    assert len(decode_video(out)[0]) == 8


def test_inspect_without_the_sdk_says_how_to_get_it(
    plugins: FaceswapPlugins, tmp_path: Path, tom_hanks_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "c2pa", None)  # faceswap-core without the [c2pa] extra
    shown = run(plugins, "inspect", tom_hanks_path)
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines()[-1] == (
        "C2PA: not checked: the C2PA SDK is not installed: pip install 'faceswap-core[c2pa]'"
    )


def test_without_a_signer_neither_the_sdk_nor_cryptography_is_loaded() -> None:
    """Unsigned work pays nothing for C2PA: not even the imports."""
    code = (
        "import sys, numpy as np\n"
        "from faceswap_core.io.encode import encode\n"
        "from faceswap_core.pipeline.image import Pipeline\n"
        "pipeline = Pipeline()\n"
        "assert pipeline.signer is None\n"
        "encode(np.zeros((8, 8, 3), np.uint8), 'png', provenance=pipeline.mark())\n"
        "print([m for m in ('c2pa', 'cryptography') if m in sys.modules])\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in (CERT_ENV, KEY_ENV)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_cli_video_refuses_no_provenance_and_mkv_with_a_signer(
    plugins: FaceswapPlugins,
    keys: dict[str, Path],
    clip: Path,
    tom_hanks_path: Path,
    tmp_path: Path,
) -> None:
    base = ["video", "-s", str(tom_hanks_path), "-t", str(clip), *signing(keys)]
    refused = run(plugins, *base, "-o", tmp_path / "out.mp4", "--no-provenance")
    assert refused.exit_code == 2
    assert "unset pipeline.c2pa" in refused.stderr
    mkv = run(plugins, *base, "-o", tmp_path / "out.mkv")
    assert mkv.exit_code == 5
    assert "video/x-matroska cannot carry a C2PA manifest" in mkv.stderr
    assert list(tmp_path.iterdir()) == []
