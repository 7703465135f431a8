"""The model store: catalog, verification with its cache, add, resolve, embedded package files."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from base64 import urlsafe_b64encode
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faceswap_core.errors import ConfigError, InputError, ModelFileError, UnknownComponentError
from faceswap_core.models.catalog import (
    DEFAULT_CATALOG,
    MODEL_KINDS,
    EmbeddedFile,
    ModelSpec,
    as_catalog,
)
from faceswap_core.models.store import (
    ModelStore,
    UnverifiedModelWarning,
    default_root,
    display_path,
    url_env_var,
)

PINNED_BYTES = b"pinned model bytes\n" * 64
PINNED_SHA = hashlib.sha256(PINNED_BYTES).hexdigest()


def catalog() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="pinned",
            file="pinned.onnx",
            kind="swapper",
            license="test",
            sha256=PINNED_SHA,
            size=len(PINNED_BYTES),
        ),
        ModelSpec(name="loose", file="pack/loose.onnx", kind="detector", license="test"),
    ]


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    return ModelStore(tmp_path / "models", catalog=catalog())


@pytest.fixture
def pinned_file(tmp_path: Path) -> Path:
    path = tmp_path / "download" / "pinned.onnx"
    path.parent.mkdir()
    path.write_bytes(PINNED_BYTES)
    return path


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


# -- root and names --------------------------------------------------------------------


def test_root_defaults_to_home_cache_and_faceswap_home_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FACESWAP_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_root() == tmp_path / "home" / ".cache" / "faceswap" / "models"
    assert ModelStore().root == default_root()
    monkeypatch.setenv("FACESWAP_HOME", str(tmp_path / "fs"))
    assert ModelStore().root == tmp_path / "fs" / "models"


def test_missing_model_message_says_where_to_put_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FACESWAP_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ModelFileError) as info:
        ModelStore().resolve("inswapper_128")
    assert str(info.value) == (
        "model file missing: ~/.cache/faceswap/models/inswapper_128.onnx. Put it there or run:"
        " faceswap models add inswapper_128 PATH"
    )
    assert info.value.exit_code == 5
    assert isinstance(info.value, OSError)


def test_default_catalog_entries_and_licenses() -> None:
    specs = as_catalog(DEFAULT_CATALOG)
    assert {"inswapper_128", "det_10g", "w600k_r50"} <= set(specs)
    inswapper = specs["inswapper_128"]
    assert inswapper.sha256 == "e4a3f08c753cb72d04e10aa0f7dbe3deebbf39567d4ead6dce08e98aa49e16af"
    assert inswapper.size == 554_253_681
    assert "non-commercial" in inswapper.license
    assert specs["det_10g"].sha256 is None
    assert specs["w600k_r50"].sha256 is None
    assert specs["retinaface_mnet025"].license == "MIT"
    assert "non-commercial" in specs["dlib_shape_predictor_68"].license
    assert "300-W" in specs["dlib_shape_predictor_68"].license_note
    assert specs["dlib_resnet_v1"].license == "CC0-1.0"
    for spec in DEFAULT_CATALOG:
        assert (spec.embedded is None) == bool(spec.urls), spec.name
        assert spec.kind in MODEL_KINDS
    # The quality models: FaceFusion's files, each with the component that loads it.
    loaders = {
        "xseg_1": "occlusion", "xseg_2": "occlusion", "xseg_3": "occlusion",
        "bisenet_resnet_18": "region", "bisenet_resnet_34": "region",
        "gfpgan_1.4": "gfpgan", "codeformer": "codeformer",
        "gpen_bfr_256": "gpen_bfr_256", "gpen_bfr_512": "gpen_bfr_512",
    }  # fmt: skip
    for name, component in loaders.items():
        spec = specs[name]
        assert spec.component == component
        assert spec.kind == ("masker" if component in ("occlusion", "region") else "enhancer")
        assert spec.urls[0].startswith("https://github.com/facefusion/facefusion-assets/")
        assert spec.sha256 is None  # FaceFusion publishes CRC32 only: recorded on first use
    assert specs["xseg_1"].license == "GPL-3.0"
    assert specs["bisenet_resnet_34"].license == "MIT"
    assert specs["gfpgan_1.4"].license == "Apache-2.0"
    assert "non-commercial" in specs["codeformer"].license
    assert "non-commercial" in specs["gpen_bfr_512"].license


def test_duplicate_catalog_names_are_an_error() -> None:
    spec = catalog()[0]
    with pytest.raises(ValueError, match="duplicate model name"):
        as_catalog([spec, spec])


@given(st.text(min_size=1, max_size=70))
def test_spec_rejects_anything_but_a_hex_sha256(value: str) -> None:
    is_hex = len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    if is_hex:
        assert ModelSpec(name="m", file="m", kind="swapper", license="x", sha256=value).sha256
    else:
        with pytest.raises(ValueError, match="sha256"):
            ModelSpec(name="m", file="m", kind="swapper", license="x", sha256=value)


@given(st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True))
def test_url_env_var_is_a_valid_variable_name(name: str) -> None:
    variable = url_env_var(name)
    assert re.fullmatch(r"FACESWAP_MODEL_URL_[A-Z0-9_]+", variable)
    assert len(variable) == len("FACESWAP_MODEL_URL_") + len(name)


def test_display_path_uses_tilde_under_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert display_path(tmp_path / "a" / "b.onnx") == "~/a/b.onnx"
    assert display_path(Path("/elsewhere/b.onnx")) == "/elsewhere/b.onnx"


# -- add, path_for, verify ------------------------------------------------------------------


def test_add_pinned_copies_atomically_and_verifies(store: ModelStore, pinned_file: Path) -> None:
    status = store.add("pinned", pinned_file)
    assert status.status == "present"
    assert status.verified
    dest = store.root / "pinned.onnx"
    assert dest.read_bytes() == PINNED_BYTES
    assert pinned_file.exists()  # copied, not moved
    assert store.path_for("pinned") == dest
    assert not [p for p in store.root.iterdir() if p.name.endswith(".tmp")]


def test_add_wrong_file_for_pinned_model_changes_nothing(
    store: ModelStore, pinned_file: Path, tmp_path: Path
) -> None:
    store.add("pinned", pinned_file)
    wrong = tmp_path / "wrong.onnx"
    wrong.write_bytes(b"x" * len(PINNED_BYTES))
    with pytest.raises(ModelFileError, match="does not match the catalog") as info:
        store.add("pinned", wrong)
    assert info.value.exit_code == 5
    assert (store.root / "pinned.onnx").read_bytes() == PINNED_BYTES
    short = tmp_path / "short.onnx"
    short.write_bytes(b"short")
    with pytest.raises(ModelFileError, match="5 bytes, expected"):
        store.add("pinned", short)


def test_add_move_removes_the_source(store: ModelStore, pinned_file: Path) -> None:
    store.add("pinned", pinned_file, copy=False)
    assert not pinned_file.exists()
    assert (store.root / "pinned.onnx").read_bytes() == PINNED_BYTES


def test_add_rejects_unknown_names_folders_and_embedded(
    store: ModelStore, pinned_file: Path, tmp_path: Path
) -> None:
    with pytest.raises(UnknownComponentError) as info:
        store.add("inswapper", pinned_file)
    assert "loose" in str(info.value)
    assert "pinned" in str(info.value)
    with pytest.raises(InputError, match="is not a file"):
        store.add("pinned", tmp_path)
    with pytest.raises(ConfigError, match="pip install face-recognition-models"):
        ModelStore(tmp_path / "m").add("dlib_resnet_v1", pinned_file)


def test_tampered_file_fails_with_exit_code_5(store: ModelStore, pinned_file: Path) -> None:
    store.add("pinned", pinned_file)
    _flip_last_byte(store.root / "pinned.onnx")
    with pytest.raises(ModelFileError, match="model file corrupt") as info:
        store.path_for("pinned")
    assert info.value.exit_code == 5
    assert store.check("pinned").status == "corrupt"


def test_checksum_cache_is_keyed_by_size_and_mtime(store: ModelStore, pinned_file: Path) -> None:
    store.add("pinned", pinned_file)
    dest = store.root / "pinned.onnx"
    registry = json.loads((store.root / "registry.json").read_text())
    assert registry["verified"][str(dest.resolve())]["sha256"] == PINNED_SHA
    before = dest.stat()
    _flip_last_byte(dest)
    os.utime(dest, ns=(before.st_atime_ns, before.st_mtime_ns))
    # Same size and mtime: the cached verdict stands (no re-hash on every swap) ...
    assert ModelStore(store.root, catalog=catalog()).path_for("pinned") == dest
    # ... while an explicit verify re-hashes and catches the change.
    (status,) = store.verify(["pinned"])
    assert status.status == "corrupt"


def test_unpinned_add_records_hash_and_warns(store: ModelStore, tmp_path: Path) -> None:
    first = tmp_path / "loose-a.onnx"
    first.write_bytes(b"first version")
    with pytest.warns(UnverifiedModelWarning, match="unverified"):
        status = store.add("loose", first)
    assert status.status == "present"
    assert not status.verified
    assert status.sha256 == hashlib.sha256(b"first version").hexdigest()
    registry = json.loads((store.root / "registry.json").read_text())
    assert registry["observed"]["loose"]["sha256"] == status.sha256
    second = tmp_path / "loose-b.onnx"
    second.write_bytes(b"second version")
    with pytest.raises(ModelFileError, match="--overwrite"):
        store.add("loose", second)
    assert (store.root / "pack" / "loose.onnx").read_bytes() == b"first version"
    with pytest.warns(UnverifiedModelWarning):
        store.add("loose", second, force=True)
    assert (store.root / "pack" / "loose.onnx").read_bytes() == b"second version"
    # Tampering after the hash was recorded is caught like a pinned checksum.
    (store.root / "pack" / "loose.onnx").write_bytes(b"third version!")
    with pytest.raises(ModelFileError, match="corrupt"):
        ModelStore(store.root, catalog=catalog()).path_for("loose")


def test_file_dropped_into_store_is_recorded_on_first_use(store: ModelStore) -> None:
    dest = store.root / "pack" / "loose.onnx"
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"dropped in by hand")
    with pytest.warns(UnverifiedModelWarning):
        assert store.path_for("loose") == dest
    assert store.observed_sha256("loose") == hashlib.sha256(b"dropped in by hand").hexdigest()


def test_list_reports_each_status(store: ModelStore, pinned_file: Path) -> None:
    assert {s.name: s.status for s in store.list()} == {"pinned": "missing", "loose": "missing"}
    store.add("pinned", pinned_file)
    _flip_last_byte(store.root / "pinned.onnx")
    statuses = {s.name: s for s in store.list()}
    assert statuses["pinned"].status == "corrupt"
    assert "faceswap models add pinned PATH" in statuses["pinned"].detail
    row = statuses["loose"].to_dict()
    assert row["status"] == "missing"
    assert row["path"].endswith("pack/loose.onnx")


def test_garbage_registry_is_ignored(store: ModelStore, pinned_file: Path) -> None:
    store.root.mkdir(parents=True)
    (store.root / "registry.json").write_text("{not json")
    store.add("pinned", pinned_file)
    assert json.loads((store.root / "registry.json").read_text())["version"] == 1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=0, max_size=4096))
def test_add_then_resolve_round_trips_any_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        src = Path(folder) / "src.bin"
        src.write_bytes(data)
        store = ModelStore(Path(folder) / "models", catalog=catalog())
        with pytest.warns(UnverifiedModelWarning):
            store.add("loose", src)
        with pytest.warns(UnverifiedModelWarning):
            resolved = store.resolve("loose")
        assert resolved.read_bytes() == data
        assert store.verify(["loose"])[0].sha256 == hashlib.sha256(data).hexdigest()


# -- resolve -------------------------------------------------------------------------------------


def test_resolve_uses_an_existing_path_as_is(store: ModelStore, pinned_file: Path) -> None:
    assert store.resolve(str(pinned_file)) == pinned_file
    assert store.resolve(pinned_file) == pinned_file


def test_resolve_errors_for_missing_paths_and_unknown_names(
    store: ModelStore, tmp_path: Path
) -> None:
    with pytest.raises(ModelFileError, match="not a file and not a model name"):
        store.resolve(str(tmp_path / "nope.onnx"))
    with pytest.raises(ModelFileError, match="not a file"):
        store.resolve("relative.onnx")
    with pytest.raises(UnknownComponentError, match="unknown model 'nope'"):
        store.resolve("nope")
    with pytest.raises(ModelFileError, match=r"model file missing: .*pinned\.onnx"):
        store.resolve("pinned")


# -- embedded package files ------------------------------------------------------------------


def test_embedded_defaults_verify_against_their_package_record(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    statuses = {s.name: s for s in store.list()}
    for name in (
        "retinaface_mnet025",
        "dlib_shape_predictor_5",
        "dlib_shape_predictor_68",
        "dlib_resnet_v1",
    ):
        assert statuses[name].status == "embedded", statuses[name].detail
        assert statuses[name].verified
    path = store.path_for("dlib_shape_predictor_5")
    assert path.name == "shape_predictor_5_face_landmarks.dat"
    assert (
        hashlib.sha256(path.read_bytes()).hexdigest() == statuses["dlib_shape_predictor_5"].sha256
    )


def _fake_distribution(site: Path, payload: bytes, recorded: bytes) -> None:
    """A dist-info folder whose RECORD lists ``recorded``'s hash for the payload file."""
    (site / "fakemodels").mkdir(parents=True)
    (site / "fakemodels" / "weights.bin").write_bytes(payload)
    info = site / "fakemodels-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakemodels\nVersion: 1.0\n")
    digest = urlsafe_b64encode(hashlib.sha256(recorded).digest()).rstrip(b"=").decode()
    (info / "RECORD").write_text(
        f"fakemodels/weights.bin,sha256={digest},{len(recorded)}\nfakemodels-1.0.dist-info/RECORD,,\n"
    )


def _embedded_spec(member: str = "fakemodels/weights.bin", dist: str = "fakemodels") -> ModelSpec:
    return ModelSpec(
        name="fake",
        file="weights.bin",
        kind="detector",
        license="test",
        embedded=EmbeddedFile(dist, member, dist),
    )


def test_embedded_file_that_differs_from_record_is_corrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_distribution(tmp_path / "site", b"tampered", b"original")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    store = ModelStore(tmp_path / "models", catalog=[_embedded_spec()])
    with pytest.raises(ModelFileError, match="pip install --force-reinstall fakemodels"):
        store.path_for("fake")


def test_embedded_file_matching_record_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_distribution(tmp_path / "site", b"original", b"original")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    store = ModelStore(tmp_path / "models", catalog=[_embedded_spec()])
    assert store.path_for("fake") == tmp_path / "site" / "fakemodels" / "weights.bin"
    assert store.check("fake").status == "embedded"


def test_embedded_file_of_missing_package_says_what_to_install(tmp_path: Path) -> None:
    store = ModelStore(
        tmp_path / "models", catalog=[_embedded_spec(dist="not-installed-faceswap-pkg")]
    )
    status = store.check("fake")
    assert status.status == "missing"
    assert status.path is None
    with pytest.raises(ModelFileError, match="pip install not-installed-faceswap-pkg"):
        store.path_for("fake")
    with pytest.raises(ConfigError, match="embedded"):
        store.pull("fake")
