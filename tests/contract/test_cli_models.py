"""``faceswap models list|verify|add|pull`` through the CLI: output, JSON and exit codes."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from tests.integration.conftest import build_arcface_like, build_inswapper_like

from faceswap_core.cli.main import make_cli
from faceswap_core.models.store import url_env_var
from faceswap_core.plugin.manager import FaceswapPlugins

EMBEDDED = {
    "retinaface_mnet025",
    "dlib_shape_predictor_5",
    "dlib_shape_predictor_68",
    "dlib_resnet_v1",
}


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private FACESWAP_HOME, so the user's real store is never read or written."""
    monkeypatch.setenv("FACESWAP_HOME", str(tmp_path / "fshome"))
    return tmp_path / "fshome"


def run(plugins: FaceswapPlugins, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(make_cli(plugins), ["models", *args], env=env)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def static_server(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A plain static file server on 127.0.0.1 over a temporary folder."""
    folder = tmp_path / "www"
    folder.mkdir()
    httpd = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder))
    )
    httpd.daemon_threads = True
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def models_of(stdout: str) -> list[dict[str, Any]]:
    """``models list/verify --json``: one JSON line per model, then the counts."""
    *rows, last = (json.loads(line) for line in stdout.splitlines())
    assert last["summary"]["models"] == len(rows)
    return rows


def test_list_json_has_every_catalog_model(plugins: FaceswapPlugins, home: Path) -> None:
    result = run(plugins, "list", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in models_of(result.stdout)}
    assert {"inswapper_128", "det_10g", "w600k_r50"} | EMBEDDED <= set(rows)
    assert rows["inswapper_128"]["status"] == "missing"
    assert rows["inswapper_128"]["path"] == str(home / "models" / "inswapper_128.onnx")
    assert rows["inswapper_128"]["sha256"].startswith("e4a3f08c753c")
    for name in EMBEDDED:
        assert rows[name]["status"] == "embedded"
        assert rows[name]["verified"] is True
    assert set(rows["det_10g"]) >= {"file", "size", "sha256", "license", "status", "kind"}


def test_list_table_is_readable(plugins: FaceswapPlugins, home: Path) -> None:
    result = run(plugins, "list")
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0].split()
    assert header == ["NAME", "KIND", "FILE", "SIZE", "SHA256", "LICENSE", "STATUS"]
    line = next(row for row in result.stdout.splitlines() if row.startswith("inswapper_128"))
    assert "missing" in line
    assert "e4a3f08c753c" in line


def test_verify_named_missing_model_exits_5(plugins: FaceswapPlugins, home: Path) -> None:
    result = run(plugins, "verify", "inswapper_128")
    assert result.exit_code == 5
    assert "model file missing:" in result.stdout
    assert "faceswap models add inswapper_128 PATH" in result.stdout
    assert result.stderr.startswith("Error: 1 model file(s) failed verification: inswapper_128")


def test_verify_all_passes_when_nothing_is_corrupt(plugins: FaceswapPlugins, home: Path) -> None:
    result = run(plugins, "verify", "--json")
    assert result.exit_code == 0, result.output
    statuses = {row["name"]: row["status"] for row in models_of(result.stdout)}
    assert {statuses[name] for name in EMBEDDED} == {"embedded"}


def test_add_verify_and_tamper(plugins: FaceswapPlugins, home: Path, tmp_path: Path) -> None:
    model = build_arcface_like(tmp_path / "arcface.onnx")  # passes the recognizer's checks
    result = run(plugins, "add", "w600k_r50", str(model))
    assert result.exit_code == 0, result.output
    assert "unverified" in result.stdout
    assert result.stderr.startswith("Warning: model w600k_r50")
    stored = home / "models" / "buffalo_l" / "w600k_r50.onnx"
    assert stored.read_bytes() == model.read_bytes()
    assert run(plugins, "verify", "w600k_r50").exit_code == 0
    stored.write_bytes(b"tampered bytes" * 100)
    result = run(plugins, "verify", "w600k_r50")
    assert result.exit_code == 5
    assert "w600k_r50: corrupt" in result.stdout
    listed = {r["name"]: r["status"] for r in models_of(run(plugins, "list", "--json").stdout)}
    assert listed["w600k_r50"] == "corrupt"
    # A corrupt file also fails an unnamed verify.
    assert run(plugins, "verify").exit_code == 5


def test_add_wrong_file_for_pinned_model_exits_5(
    plugins: FaceswapPlugins, home: Path, tmp_path: Path
) -> None:
    # A graph with the right signature, so the pinned checksum is what refuses it.
    fake, _ = build_inswapper_like(tmp_path / "inswapper_128.onnx")
    result = run(plugins, "add", "inswapper_128", str(fake))
    assert result.exit_code == 5
    assert "expected 554253681" in result.stderr
    assert not (home / "models" / "inswapper_128.onnx").exists()


def test_add_unknown_name_exits_2_and_lists_names(
    plugins: FaceswapPlugins, home: Path, tmp_path: Path
) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(b"x")
    result = run(plugins, "add", "inswapper", str(model))
    assert result.exit_code == 2
    assert "unknown model 'inswapper'. Available:" in result.stderr
    assert "inswapper_128" in result.stderr


def test_add_embedded_model_exits_2(plugins: FaceswapPlugins, home: Path, tmp_path: Path) -> None:
    model = tmp_path / "m.dat"
    model.write_bytes(b"x")
    result = run(plugins, "add", "dlib_shape_predictor_68", str(model))
    assert result.exit_code == 2
    assert "pip install face-recognition-models" in result.stderr


def test_pull_member_of_zip_from_url(
    plugins: FaceswapPlugins, home: Path, static_server: tuple[Path, str]
) -> None:
    folder, base = static_server
    weights = b"recognizer weights" * 1000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("w600k_r50.onnx", weights)
    (folder / "buffalo_l.zip").write_bytes(buffer.getvalue())
    result = run(plugins, "pull", "w600k_r50", "--url", f"{base}/buffalo_l.zip", "--quiet")
    assert result.exit_code == 0, result.output
    assert (home / "models" / "buffalo_l" / "w600k_r50.onnx").read_bytes() == weights
    rows = {r["name"]: r for r in models_of(run(plugins, "list", "--json").stdout)}
    assert rows["w600k_r50"]["status"] == "present"
    assert rows["w600k_r50"]["sha256"] == hashlib.sha256(weights).hexdigest()


def test_pull_wrong_bytes_exits_5_and_leaves_nothing(
    plugins: FaceswapPlugins, home: Path, static_server: tuple[Path, str]
) -> None:
    folder, base = static_server
    (folder / "inswapper_128.onnx").write_bytes(b"definitely not inswapper")
    env = {url_env_var("inswapper_128"): f"{base}/inswapper_128.onnx"}
    result = run(plugins, "pull", "inswapper_128", "--quiet", env=env)
    assert result.exit_code == 5
    assert result.stderr.startswith("Error: download of")
    assert sorted(p.name for p in (home / "models").iterdir() if p.suffix != ".json") == []


def test_pull_404_exits_5(
    plugins: FaceswapPlugins, home: Path, static_server: tuple[Path, str]
) -> None:
    _, base = static_server
    result = run(plugins, "pull", "det_10g", "--url", f"{base}/missing.zip", "--quiet")
    assert result.exit_code == 5
    assert "HTTP 404" in result.stderr


def test_pull_a_quality_model_then_use_it_by_name(
    plugins: FaceswapPlugins, home: Path, static_server: tuple[Path, str], tmp_path: Path
) -> None:
    """xseg_1 comes from the catalog's URL (here a local server); unpinned, its hash is recorded,
    and the occlusion mask then loads it by name and checks its contract."""
    from tests import quality_graphs

    folder, base = static_server
    quality_graphs.occluder(folder / "xseg_1.onnx")
    env = {url_env_var("xseg_1"): f"{base}/xseg_1.onnx"}
    result = run(plugins, "pull", "xseg_1", "--quiet", env=env)
    assert result.exit_code == 0, result.output
    assert "unverified: checksum recorded" in result.stdout
    stored = home / "models" / "xseg_1.onnx"
    assert stored.read_bytes() == (folder / "xseg_1.onnx").read_bytes()
    rows = {r["name"]: r for r in models_of(run(plugins, "list", "--json").stdout)}
    assert rows["xseg_1"]["kind"] == "masker"
    assert rows["xseg_1"]["license"] == "GPL-3.0"
    assert rows["xseg_1"]["sha256"] == hashlib.sha256(stored.read_bytes()).hexdigest()
    from faceswap_core.testing import build_component

    masker = build_component("masker", {"type": "occlusion"}, manager=plugins)  # default xseg_1
    assert masker.origin == str(stored)


def test_add_your_own_masker_and_enhancer_with_kind_and_type(
    plugins: FaceswapPlugins, home: Path, tmp_path: Path
) -> None:
    from tests import quality_graphs

    parser = quality_graphs.parser(tmp_path / "parser.onnx")
    added = run(plugins, "add", "my_parser", str(parser), "--kind", "masker", "--type", "region")
    assert added.exit_code == 0, added.output
    assert "(masker region, sha256" in added.stdout
    restorer = quality_graphs.restorer(tmp_path / "restorer.onnx", size=256)
    wrong = run(
        plugins, "add", "my_gfpgan", str(restorer), "--kind", "enhancer", "--type", "gfpgan"
    )
    assert wrong.exit_code == 5  # a 256 px restorer is not GFPGAN's 512 px contract
    assert wrong.stderr.count("\n") == 1
    assert "expected [*, 3, 512, 512]" in wrong.stderr
    right = run(
        plugins, "add", "my_gpen", str(restorer), "--kind", "enhancer", "--type", "gpen_bfr_256"
    )
    assert right.exit_code == 0, right.output
    rows = {r["name"]: r for r in models_of(run(plugins, "list", "--json").stdout)}
    assert rows["my_parser"]["kind"] == "masker"
    assert rows["my_gpen"]["kind"] == "enhancer"
    assert "my_gfpgan" not in rows


def test_adding_a_catalog_masker_checks_it_with_its_component(
    plugins: FaceswapPlugins, home: Path, tmp_path: Path
) -> None:
    from tests import quality_graphs

    nchw = quality_graphs.occluder(tmp_path / "xseg.onnx", layout="nchw")
    result = run(plugins, "add", "xseg_2", str(nchw))
    assert result.exit_code == 5
    assert "XSeg occluder" in result.stderr
    assert not (home / "models" / "xseg_2.onnx").exists()
