"""Your own model files in the store: ``faceswap models add NAME FILE --type onnx``.

A faceswap export has no catalog entry; ``--type`` names the component that
loads it, which checks the file before it is stored, and the SHA-256 is
pinned so every later use verifies it. The graphs here are small
hand-built ONNX files with the export contract (faceswap-unet's own tests
register a real U-Net export the same way).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage
from tests.integration.conftest import build_faceswap_export, build_inswapper_like

from faceswap_core.cli.main import make_cli
from faceswap_core.models.store import ModelStore
from faceswap_core.models.user import USER_FILE, UserCatalogWarning, own_spec
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.swappers.export_recognizer import companion_paths
from faceswap_core.testing import write_onnx_export
from faceswap_core.tools.samples import load_sample, sample_path


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FACESWAP_HOME", str(tmp_path / "fshome"))
    return tmp_path / "fshome"


def models(plugins: FaceswapPlugins, *args: str) -> Result:
    return CliRunner().invoke(make_cli(plugins), ["models", *args])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_export_added_with_type_is_pinned_listed_and_resolved_by_name(
    plugins: FaceswapPlugins, home: Path, tmp_path: Path
) -> None:
    export, _ = build_faceswap_export(tmp_path / "swapper.onnx")
    result = models(plugins, "add", "my_swapper", str(export), "--type", "onnx")
    assert result.exit_code == 0, result.output
    stored = home / "models" / "user" / "my_swapper.onnx"
    assert stored.read_bytes() == export.read_bytes()
    entry = json.loads((home / "models" / USER_FILE).read_text())["models"]["my_swapper"]
    assert entry["sha256"] == sha256(export)
    assert (entry["kind"], entry["loader"]) == ("swapper", "onnx")
    lines = models(plugins, "list", "--json").stdout.splitlines()
    rows = {r["name"]: r for r in map(json.loads, lines[:-1])}  # the last line is the summary
    assert rows["my_swapper"]["status"] == "present"
    assert rows["my_swapper"]["verified"] is True
    assert ModelStore().resolve("my_swapper") == stored  # a fresh store reads the entry back


def test_a_file_that_breaks_the_loaders_contract_is_not_stored(
    plugins: FaceswapPlugins, home: Path, tmp_path: Path
) -> None:
    plain, _ = build_faceswap_export(tmp_path / "plain.onnx", metadata=False)
    result = models(plugins, "add", "plain", str(plain), "--type", "onnx")
    assert result.exit_code == 5
    assert "is not a faceswap export" in result.stderr
    assert not (home / "models" / USER_FILE).exists()
    assert not (home / "models" / "user").exists() or not any((home / "models" / "user").iterdir())


def test_replacing_your_model_with_another_file_needs_overwrite(
    plugins: FaceswapPlugins, home: Path, tmp_path: Path
) -> None:
    first, _ = build_faceswap_export(tmp_path / "a.onnx", seed=1)
    second, _ = build_faceswap_export(tmp_path / "b.onnx", seed=2)
    assert models(plugins, "add", "mine", str(first), "--type", "onnx").exit_code == 0
    assert models(plugins, "add", "mine", str(first)).exit_code == 0  # same file: nothing to force
    refused = models(plugins, "add", "mine", str(second))
    assert refused.exit_code == 2
    assert "pass --overwrite to replace it" in refused.stderr
    stored = home / "models" / "user" / "mine.onnx"
    assert stored.read_bytes() == first.read_bytes()
    assert models(plugins, "add", "mine", str(second), "--overwrite").exit_code == 0
    assert stored.read_bytes() == second.read_bytes()
    assert ModelStore().spec("mine").sha256 == sha256(second)
    # the old spelling still works, with one warning naming the new one
    old = models(plugins, "add", "mine", str(first), "--force")
    assert old.exit_code == 0, old.output
    assert old.stderr.splitlines()[0] == "Warning: --force is deprecated; use --overwrite"
    assert stored.read_bytes() == first.read_bytes()


def test_a_changed_file_is_corrupt_on_the_next_use(
    plugins: FaceswapPlugins, home: Path, tmp_path: Path
) -> None:
    export, _ = build_faceswap_export(tmp_path / "swapper.onnx")
    assert models(plugins, "add", "mine", str(export), "--type", "onnx").exit_code == 0
    stored = home / "models" / "user" / "mine.onnx"
    data = bytearray(stored.read_bytes())
    data[-1] ^= 0xFF
    stored.write_bytes(bytes(data))
    result = models(plugins, "verify", "mine")
    assert result.exit_code == 5
    assert "mine: corrupt" in result.stdout
    assert "faceswap models add mine PATH" in result.stdout


@pytest.mark.parametrize(
    ("name", "extra", "code", "message"),
    [
        ("inswapper_128", ("--type", "onnx"), 2, "inswapper_128 is a catalog model"),
        ("mine", (), 2, "faceswap models add mine PATH --type onnx"),
        ("Mine", ("--type", "onnx"), 2, "model name must be lowercase"),
        ("mine", ("--type", "nope"), 2, "unknown swapper 'nope'"),
    ],
)
def test_bad_add_requests_are_one_line_errors(
    plugins: FaceswapPlugins,
    home: Path,
    tmp_path: Path,
    name: str,
    extra: tuple[str, ...],
    code: int,
    message: str,
) -> None:
    export, _ = build_faceswap_export(tmp_path / "swapper.onnx")
    result = models(plugins, "add", name, str(export), *extra)
    assert result.exit_code == code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]
    assert not (home / "models" / USER_FILE).exists()


def test_an_inswapper_graph_is_not_an_onnx_export(
    plugins: FaceswapPlugins, home: Path, tmp_path: Path
) -> None:
    graph, _ = build_inswapper_like(tmp_path / "inswapper.onnx")
    result = models(plugins, "add", "mine", str(graph), "--type", "onnx")
    assert result.exit_code == 5
    assert "--model inswapper" in result.stderr  # the onnx swapper says what it is instead


# -- the entries file is read as untrusted input ---------------------------------------------------

_entry_values = st.one_of(
    st.none(), st.integers(), st.text(max_size=20), st.lists(st.integers(), max_size=2)
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    entries=st.dictionaries(
        st.text(min_size=1, max_size=12),
        st.one_of(
            _entry_values,
            st.fixed_dictionaries(
                {},
                optional={
                    key: _entry_values
                    for key in ("file", "kind", "loader", "sha256", "size", "license")
                },
            ),
        ),
        max_size=4,
    )
)
def test_any_entries_file_gives_a_usable_store(tmp_path: Path, entries: dict[str, Any]) -> None:
    root = tmp_path / "store"
    root.mkdir(exist_ok=True)
    (root / USER_FILE).write_text(json.dumps({"version": 1, "models": entries}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserCatalogWarning)
        store = ModelStore(root)
    for spec in store.catalog.values():
        if spec.own:  # whatever survived is a valid spec inside the store
            assert spec.file.startswith("user/")
            assert ".." not in spec.file
    assert {s.name for s in store.list()} >= {"inswapper_128", "dlib_resnet_v1"}


@pytest.mark.parametrize(
    ("file", "why"),
    [("../outside.onnx", "must lie under user/"), ("/etc/passwd", "must lie under user/")],
)
def test_entries_pointing_outside_the_store_are_skipped(
    tmp_path: Path, file: str, why: str
) -> None:
    entry = {"file": file, "kind": "swapper", "loader": "onnx", "sha256": "a" * 64, "size": 1}
    (tmp_path / USER_FILE).write_text(json.dumps({"version": 1, "models": {"evil": entry}}))
    with pytest.warns(UserCatalogWarning, match=why):
        store = ModelStore(tmp_path)
    assert not store.knows("evil")


def test_an_entry_round_trips_through_the_file(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    spec = own_spec(
        "mine", file="user/mine.onnx", kind="swapper", loader="onnx", sha256="b" * 64, size=7
    )
    store.own.save(spec)
    assert ModelStore(tmp_path).spec("mine") == spec


def test_an_export_with_its_recognizer_is_stored_with_it_and_swaps_by_name(
    plugins: FaceswapPlugins, home: Path, tmp_path: Path
) -> None:
    """The recognizer graph and probe faces go into the store beside the model."""
    export = write_onnx_export(tmp_path / "swapper.onnx")
    result = models(plugins, "add", "mine", str(export), "--type", "onnx")
    assert result.exit_code == 0, result.output
    user = home / "models" / "user"
    for source, stored in zip(
        companion_paths(export), companion_paths(user / "mine.onnx"), strict=True
    ):
        assert stored.read_bytes() == source.read_bytes()
    target = tmp_path / "astronaut.png"
    PILImage.fromarray(load_sample("astronaut")).save(target)
    out = tmp_path / "out.png"
    swap = CliRunner().invoke(
        make_cli(plugins),
        ["swap", "-s", str(sample_path("t1")), "-t", str(target), "-o", str(out),
         "--model", "onnx", "--model-path", "mine"],
    )  # fmt: skip
    assert swap.exit_code == 0, swap.output
    assert out.is_file()


def test_a_model_whose_recognizer_cannot_be_served_is_refused_with_the_reason(
    plugins: FaceswapPlugins, home: Path, tmp_path: Path
) -> None:
    legacy, _ = build_faceswap_export(tmp_path / "legacy.onnx", recognizer="faceswap-unet:tiny")
    result = models(plugins, "add", "legacy", str(legacy), "--type", "onnx")
    assert result.exit_code == 5
    (line,) = result.stderr.strip().splitlines()
    assert "cannot be served: it embeds sources with recognizer 'faceswap-unet:tiny'" in line
    assert "not installed (available: " in line
    assert "re-export it with faceswap export onnx" in line
    assert not (home / "models" / USER_FILE).exists()


def test_an_export_missing_its_recognizer_graph_is_refused(
    plugins: FaceswapPlugins, home: Path, tmp_path: Path
) -> None:
    export = write_onnx_export(tmp_path / "swapper.onnx")
    companion_paths(export)[0].unlink()
    result = models(plugins, "add", "broken", str(export), "--type", "onnx")
    assert result.exit_code == 5
    assert "swapper.recognizer.onnx is missing" in result.stderr
    assert not (home / "models" / USER_FILE).exists()
