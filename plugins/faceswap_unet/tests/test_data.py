"""The LFW pipeline without torch: layouts, identity split, preparation, resume, updates,
augmentations."""

from __future__ import annotations

import json
import shutil
import tarfile
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceswap_core.errors import ConfigError, InputError
from faceswap_core.experiment.env import usable_cpus
from faceswap_core.experiment.manifest import read_manifest
from faceswap_unet.configs import LfwConfig
from faceswap_unet.data.augment import augment, hflip
from faceswap_unet.data.layout import iter_images
from faceswap_unet.data.prepare import JOURNAL, prepare_lfw
from faceswap_unet.data.samples import LfwSplit, open_prepared
from faceswap_unet.data.split import held_back, split_identities

from .conftest import last_json, run_faceswap

ONE_WORKER = LfwConfig(workers=1)


def raw_tree(tiny: Path) -> Path:
    return tiny.parent / "raw"


def subset(tiny: Path, dest: Path, people: int, per_person: int) -> Path:
    """A smaller raw LFW tree: the first ``people`` identities, ``per_person`` images each."""
    for person in sorted(raw_tree(tiny).iterdir())[:people]:
        (dest / person.name).mkdir(parents=True)
        for image in sorted(person.iterdir())[:per_person]:
            shutil.copy(image, dest / person.name / image.name)
    return dest


def kaggle_zip(tree: Path, path: Path) -> Path:
    """Kaggle's LFW zip: ``lfw-deepfunneled/lfw-deepfunneled/<Name>/<Name>_0001.jpg``."""
    with zipfile.ZipFile(path, "w") as bundle:
        for file in sorted(tree.rglob("*.jpg")):
            bundle.write(file, f"lfw-deepfunneled/lfw-deepfunneled/{file.relative_to(tree)}")
        bundle.writestr("lfw_allnames.csv", "name,images\n")
    return path


def official_tgz(tree: Path, path: Path) -> Path:
    with tarfile.open(path, "w:gz") as bundle:
        bundle.add(tree, arcname="lfw")
    return path


# -- layouts and split ----------------------------------------------------------------


def test_tree_tgz_and_kaggle_zip_yield_the_same_images(tiny: Path, tmp_path: Path) -> None:
    tree = subset(tiny, tmp_path / "lfw", people=3, per_person=2)
    from_tree = {raw.key: data for raw, data in iter_images(tree)}
    from_zip = {raw.key: data for raw, data in iter_images(kaggle_zip(tree, tmp_path / "k.zip"))}
    from_tgz = {raw.key: data for raw, data in iter_images(official_tgz(tree, tmp_path / "l.tgz"))}
    assert len(from_tree) == 6
    assert from_tree == from_zip == from_tgz
    assert all(key.split("/")[1].startswith(key.split("/")[0] + "_") for key in from_tree)


def test_something_that_is_not_lfw_is_an_input_error(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    with pytest.raises(InputError, match="neither an lfw/ folder"):
        list(iter_images(junk))


@settings(max_examples=40, deadline=None)
@given(
    names=st.sets(st.from_regex(r"[A-Z][a-z]{1,6}_[A-Z][a-z]{1,6}", fullmatch=True), max_size=40),
    seed=st.integers(0, 2**16),
)
def test_split_puts_every_identity_in_exactly_one_split(names: set[str], seed: int) -> None:
    plan = split_identities(names, val_fraction=0.1, test_fraction=0.1, seed=seed)
    assert set(plan.assignment) == names
    assert set(plan.assignment.values()) <= {"train", "val", "test"}
    assert plan == split_identities(
        sorted(names, reverse=True), val_fraction=0.1, test_fraction=0.1, seed=seed
    )
    counts = plan.counts()
    if len(names) >= 3:
        assert counts["val"] >= 1
        assert counts["test"] >= 1
        assert counts["train"] >= 1
        assert not plan.warnings
    else:
        assert counts == {"train": len(names), "val": 0, "test": 0}
        assert plan.warnings


def test_held_back_keeps_one_image_of_each_identity_with_two_or_more() -> None:
    kept, held = held_back({"a": [0, 1, 2], "b": [3], "c": [4, 5]})
    assert held == [2, 5]
    assert kept == [0, 1, 3, 4]


# -- preparation ------------------------------------------------------------------------


def test_tiny_dataset_is_lfw_prepared_and_split_by_identity(tiny: Path) -> None:
    prepared = open_prepared(tiny)
    manifest = prepared.manifest
    assert manifest.name == "lfw"
    by_split: dict[str, set[str]] = {}
    for entry in manifest.files:
        if entry.split != "meta":
            by_split.setdefault(entry.split, set()).add(str(entry.label))
    assert set(by_split) == {"train", "val", "test"}
    assert not (by_split["train"] & by_split["val"])
    assert not (by_split["train"] & by_split["test"])
    assert not by_split["val"] & by_split["test"]
    assert len(set().union(*by_split.values())) == 8  # six t1 faces, the astronaut, Tom Hanks
    sample = LfwSplit(prepared, "train")[0]
    assert sample["image"].shape == (112, 112, 3)
    assert sample["image"].dtype == np.uint8
    # Aligned crops put the eyes where the ArcFace template says (38.3, 51.7) and (73.5, 51.5).
    assert np.allclose(sample["kps"][:2], [[38.29, 51.70], [73.53, 51.50]], atol=3.0)


def test_cli_prepare_uses_every_core_and_matches_in_process_crops(
    tiny: Path, tmp_path: Path
) -> None:
    out = tmp_path / "prepared"
    done = run_faceswap(
        "data", "lfw", "prepare", "--src", str(raw_tree(tiny)), "-o", str(out), "--json"
    )
    assert done.returncode == 0, done.stderr
    report = last_json(done.stdout)
    assert report["workers"] == usable_cpus()
    assert (report["crops"], report["no_face"]) == (40, 0)
    crops = {
        e.path: e.sha256 for e in read_manifest(out / "manifest.json").files if e.split != "meta"
    }
    reference = {
        e.path: e.sha256 for e in read_manifest(tiny / "manifest.json").files if e.split != "meta"
    }
    assert crops == reference


def test_images_without_a_face_are_listed_not_dropped(tiny: Path, tmp_path: Path) -> None:
    tree = subset(tiny, tmp_path / "lfw", people=2, per_person=2)
    (tree / "Blank_Wall").mkdir()
    _ok, data = cv2.imencode(".jpg", np.full((250, 250, 3), 128, np.uint8))
    (tree / "Blank_Wall" / "Blank_Wall_0001.jpg").write_bytes(data.tobytes())
    (tree / "Broken_File").mkdir()
    (tree / "Broken_File" / "Broken_File_0001.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    report = prepare_lfw(tree, tmp_path / "out", ONE_WORKER)
    assert (report["crops"], report["no_face"]) == (4, 2)
    skipped = {s.path: s.reason for s in read_manifest(tmp_path / "out" / "manifest.json").skipped}
    assert skipped["Blank_Wall/Blank_Wall_0001"] == "no face found"
    assert skipped["Broken_File/Broken_File_0001"].startswith("undecodable")


def test_two_identities_still_prepare_with_a_warning(tiny: Path, tmp_path: Path) -> None:
    tree = subset(tiny, tmp_path / "lfw", people=2, per_person=2)
    report = prepare_lfw(tree, tmp_path / "out", ONE_WORKER)
    assert report["identities"] == {"train": 2, "val": 0, "test": 0}
    assert "too few for train/val/test" in report["warnings"][0]


def test_rerun_skips_finished_crops_and_redoes_tampered_ones(tiny: Path, tmp_path: Path) -> None:
    tree = subset(tiny, tmp_path / "lfw", people=2, per_person=3)
    out = tmp_path / "out"
    first = prepare_lfw(tree, out, ONE_WORKER)
    assert (first["reused"], first["crops"]) == (0, 6)
    original = read_manifest(out / "manifest.json")
    crops = sorted((out / "crops").rglob("*.png"))
    crops[0].write_bytes(b"tampered")
    crops[1].unlink()
    with (out / JOURNAL).open("a") as journal:
        journal.write('{"key": "half-written')  # a crash mid-line
    second = prepare_lfw(tree, out, ONE_WORKER)
    assert second["reused"] == 4
    assert read_manifest(out / "manifest.json") == original
    assert second["version"] == "1.0.0"
    assert second["changed"] == 0


def test_changed_crop_fails_verification_until_update_records_it(
    tiny: Path, tmp_path: Path
) -> None:
    out = tmp_path / "prepared"
    shutil.copytree(tiny, out)
    crop = sorted((out / "crops").rglob("*.png"))[0]
    image = cv2.imread(str(crop))
    cv2.imwrite(str(crop), 255 - image)
    with pytest.raises(InputError, match="does not match its manifest"):
        open_prepared(out)
    done = run_faceswap("data", "update", str(out), "--json")
    assert done.returncode == 0, done.stderr
    report = last_json(done.stdout)
    relative = crop.relative_to(out).as_posix()
    assert report["changed"] == [relative]
    assert (report["version_before"], report["version"]) == ("1.0.0", "1.1.0")
    assert (out / "CHANGELOG.md").read_text().startswith("# Changelog\n\n## 1.1.0")
    assert open_prepared(out).manifest.version == "1.1.0"


def test_a_folder_without_manifest_is_refused(tmp_path: Path) -> None:
    (tmp_path / "crops").mkdir()
    with pytest.raises(InputError, match=r"no manifest\.json"):
        open_prepared(tmp_path)
    done = run_faceswap("data", "update", str(tmp_path))
    assert done.returncode == 3
    assert done.stderr.strip().splitlines()[-1].startswith("Error:")


# -- augmentations ------------------------------------------------------------------------


def test_hflip_mirrors_pixels_and_swaps_left_and_right_points() -> None:
    image = np.arange(4 * 4 * 3, dtype=np.uint8).reshape(4, 4, 3)
    kps = np.array([[0, 1], [3, 1], [1, 2], [0, 3], [2, 3]], np.float32)
    flipped, points = hflip(image, kps, np.random.default_rng(0))
    assert np.array_equal(flipped[2, 0], image[2, 3])
    # Mirrored: x -> 3 - x; then the right eye's mirror is the new left eye, and so on.
    assert points.tolist() == [[0, 1], [3, 1], [2, 2], [1, 3], [3, 3]]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**20), index=st.integers(0, 10**6))
def test_augmentations_are_deterministic_per_seed_and_index(seed: int, index: int) -> None:
    rng = np.random.default_rng(7)
    image = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
    kps = rng.uniform(0, 31, (5, 2)).astype(np.float32)
    names = ["hflip", "color_jitter", "blur"]
    a = augment(image, kps, names=names, seed=seed, index=index, probability=0.7)
    b = augment(image.copy(), kps.copy(), names=names, seed=seed, index=index, probability=0.7)
    assert np.array_equal(a[0], b[0])
    assert np.array_equal(a[1], b[1])


def test_different_sample_indices_get_different_augmentations() -> None:
    image = np.random.default_rng(1).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    kps = np.zeros((5, 2), np.float32)
    outputs = {
        augment(image, kps, names=["color_jitter"], seed=3, index=i, probability=1.0)[0].tobytes()
        for i in range(5)
    }
    assert len(outputs) == 5


def test_unknown_augmentation_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown augmentation 'rotate'"):
        augment(np.zeros((4, 4, 3), np.uint8), np.zeros((5, 2)), names=["rotate"], seed=0, index=0)


def test_prepare_info_records_the_source_checksum(tiny: Path, tmp_path: Path) -> None:
    tree = subset(tiny, tmp_path / "lfw", people=2, per_person=1)
    out = prepare_lfw(kaggle_zip(tree, tmp_path / "k.zip"), tmp_path / "a", ONE_WORKER)
    info = json.loads((tmp_path / "a" / "prepare.json").read_text())
    again = prepare_lfw(tree, tmp_path / "b", ONE_WORKER)
    assert info["source_kind"] == "zip"
    assert (
        info["source_sha256"]
        == json.loads((tmp_path / "b" / "prepare.json").read_text())["source_sha256"]
    )
    assert out["crops"] == again["crops"] == 2


# -- nothing usable: exit 3, one line, nothing written -------------------------------------


def _no_usable_image(kind: str, root: Path) -> Path:
    source = root / "src"
    source.mkdir()
    if kind == "non-images":
        (source / "Some_Person").mkdir()
        (source / "Some_Person" / "notes.txt").write_text("not a photo")
    elif kind == "no faces":
        for name in ("Blank_Wall", "Broken_File"):
            (source / name).mkdir()
        _ok, data = cv2.imencode(".jpg", np.full((250, 250, 3), 128, np.uint8))
        (source / "Blank_Wall" / "Blank_Wall_0001.jpg").write_bytes(data.tobytes())
        (source / "Broken_File" / "Broken_File_0001.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    return source


@pytest.mark.parametrize("kind", ["empty", "non-images", "no faces"])
def test_a_source_with_no_usable_image_is_exit_3_and_prepares_nothing(
    tmp_path: Path, kind: str
) -> None:
    source = _no_usable_image(kind, tmp_path)
    out = tmp_path / "prepared"
    done = run_faceswap("data", "lfw", "prepare", "--src", str(source), "-o", str(out))
    assert done.returncode == 3, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: no ")
    assert "nothing prepared" in lines[0]
    assert not out.exists()
    if kind == "no faces":
        assert "2 image(s), none with a face (no face found: 1, undecodable: 1)" in lines[0]
    # into an existing folder of the user's: it is kept, and nothing is added to it
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    done = run_faceswap("data", "lfw", "prepare", "--src", str(source), "-o", str(out))
    assert done.returncode == 3
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


PLAIN_SCRIPT = """
import json, sys
import faceswap

print("script body ran", flush=True)
report = faceswap.prepare_lfw(sys.argv[1], sys.argv[2], workers=2)
print(json.dumps({"crops": report["crops"], "workers": report["workers"]}), flush=True)
"""


def test_prepare_lfw_works_from_a_plain_script_without_a_main_guard(
    tiny: Path, tmp_path: Path
) -> None:
    """Worker processes started with 'spawn' re-ran such a script and broke the pool."""
    import os
    import subprocess
    import sys

    tree = subset(tiny, tmp_path / "lfw", people=2, per_person=3)
    script = tmp_path / "prepare_it.py"
    script.write_text(PLAIN_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), str(tree), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert lines.count("script body ran") == 1  # the script ran once, not again in workers
    assert json.loads(lines[-1]) == {"crops": 6, "workers": 2}
