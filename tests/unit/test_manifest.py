"""Dataset manifests: checksums, verification, semver bumps and the changelog."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceswap_core.errors import ConfigError, InputError
from faceswap_core.experiment.manifest import (
    SCHEMA,
    Label,
    build_manifest,
    bump_version,
    read_manifest,
    update_manifest,
    verify_manifest,
    write_manifest,
)

DAY = dt.date(2024, 5, 1)


def by_folder(path: PurePosixPath) -> Label | None:
    """Split from the first folder, label from the second; skip notes."""
    if path.suffix == ".txt":
        return None
    return Label(split=path.parts[0], label=path.parts[1])


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    root = tmp_path / "lfw"
    for split, person, index in [("train", "ann", 1), ("train", "bob", 1), ("val", "cid", 1)]:
        folder = root / split / person
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{person}_{index}.jpg").write_bytes(f"{person}-{index}".encode())
    (root / "notes.txt").write_text("not data")
    (root / ".hidden").write_text("x")
    return root


def test_build_records_checksum_size_split_label(dataset: Path) -> None:
    manifest = build_manifest(dataset, by_folder)
    assert manifest.version == "1.0.0"
    assert [e.path for e in manifest.files] == [
        "train/ann/ann_1.jpg",
        "train/bob/bob_1.jpg",
        "val/cid/cid_1.jpg",
    ]
    ann = manifest.files[0]
    assert ann.size == len(b"ann-1")
    import hashlib

    assert ann.sha256 == hashlib.sha256(b"ann-1").hexdigest()
    assert (ann.split, ann.label) == ("train", "ann")
    assert manifest.splits() == {"train": 2, "val": 1}


def test_write_read_round_trip_has_schema_and_version(dataset: Path, tmp_path: Path) -> None:
    manifest = build_manifest(dataset, by_folder, name="lfw")
    path = write_manifest(manifest, tmp_path / "m.json")
    data = json.loads(path.read_text())
    assert (data["schema"], data["version"]) == (SCHEMA, "1.0.0")
    assert read_manifest(path) == manifest


def test_verify_clean_then_detects_changed_missing_extra(dataset: Path) -> None:
    manifest = build_manifest(dataset, by_folder)
    assert verify_manifest(manifest, dataset).extra == ["notes.txt"]  # skipped by the labeling
    assert verify_manifest(manifest, dataset, by_folder).ok
    (dataset / "train" / "ann" / "ann_1.jpg").write_bytes(b"ann-X")  # same size, new content
    (dataset / "train" / "bob" / "bob_1.jpg").write_bytes(b"bob-1 and more")  # size change
    (dataset / "val" / "cid" / "cid_1.jpg").unlink()
    (dataset / "val" / "cid" / "cid_2.jpg").write_bytes(b"new")
    report = verify_manifest(manifest, dataset, by_folder)
    assert not report.ok
    assert [c.path for c in report.changed] == ["train/ann/ann_1.jpg", "train/bob/bob_1.jpg"]
    assert report.changed[0].actual_sha256 is not None
    assert report.changed[1].actual_size == len(b"bob-1 and more")
    assert report.missing == ["val/cid/cid_1.jpg"]
    assert "val/cid/cid_2.jpg" in report.extra
    assert report.summary().startswith("1 missing, 2 changed")


@pytest.mark.parametrize(
    ("version", "part", "expected"),
    [("1.2.3", "major", "2.0.0"), ("1.2.3", "minor", "1.3.0"), ("1.2.3", "patch", "1.2.4")],
)
def test_bump_version(version: str, part: str, expected: str) -> None:
    assert bump_version(version, part) == expected  # type: ignore[arg-type]


@given(st.text(max_size=10).filter(lambda t: t.count(".") != 2 or not t.replace(".", "").isdigit()))
def test_bad_versions_are_rejected(version: str) -> None:
    with pytest.raises(ConfigError):
        bump_version(version, "patch")


def test_update_writes_first_version_then_bumps_with_changelog(dataset: Path) -> None:
    first, diff = update_manifest(dataset, by_folder, today=DAY)
    assert first.version == "1.0.0"
    assert len(diff.added) == 3
    assert read_manifest(dataset / "manifest.json") == first
    # Unchanged data: no bump, no new entry.
    same, diff = update_manifest(dataset, by_folder, today=DAY)
    assert same.version == "1.0.0"
    assert diff.empty
    (dataset / "train" / "ann" / "ann_1.jpg").write_bytes(b"changed!")
    (dataset / "val" / "cid" / "cid_1.jpg").unlink()
    (dataset / "val" / "dan").mkdir()
    (dataset / "val" / "dan" / "d.jpg").write_bytes(b"d")
    (dataset / "val" / "dan" / "e.jpg").write_bytes(b"e")
    second, diff = update_manifest(
        dataset, by_folder, part="minor", today=dt.date(2024, 6, 2), note="Added dan."
    )
    assert second.version == "1.1.0"
    assert (len(diff.added), len(diff.removed), len(diff.changed)) == (2, 1, 1)
    assert verify_manifest(read_manifest(dataset / "manifest.json"), dataset, by_folder).ok
    changelog = (dataset / "CHANGELOG.md").read_text()
    assert changelog.startswith("# Changelog\n")
    assert changelog.index("## 1.1.0 - 2024-06-02") < changelog.index("## 1.0.0 - 2024-05-01")
    newest = changelog.split("## 1.0.0")[0]
    assert "- added: 2 files" in newest
    assert "- removed: 1 files" in newest
    assert "- changed: 1 files" in newest
    assert "Added dan." in newest


def test_read_manifest_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="manifest not found"):
        read_manifest(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="cannot read manifest"):
        read_manifest(bad)
    bad.write_text(json.dumps({"schema": "other/1", "version": "1.0.0", "files": []}))
    with pytest.raises(InputError, match="schema"):
        read_manifest(bad)
    bad.write_text(json.dumps({"schema": SCHEMA, "version": "1.0.0", "files": [{"path": 1}]}))
    with pytest.raises(InputError, match=r"malformed: .*\$\.files\[0\]"):
        read_manifest(bad)


def test_build_of_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="dataset folder not found"):
        build_manifest(tmp_path / "none", by_folder)


def test_skipped_inputs_are_kept_with_their_reason(tmp_path: Path) -> None:
    from faceswap_core.experiment.manifest import Label, SkippedFile, update_manifest

    (tmp_path / "a.png").write_bytes(b"a")
    skipped = [SkippedFile("Blank/Blank_0001", "no face found")]
    first, _ = update_manifest(tmp_path, lambda p: Label("train"), name="toy", skipped=skipped)
    assert read_manifest(tmp_path / "manifest.json").skipped == skipped
    assert first.name == "toy"
    # Nothing changed: the same manifest, skipped list included.
    again, diff = update_manifest(tmp_path, lambda p: Label("train"))
    assert diff.empty
    assert again == first
    # Only the skipped list changed: still a new version, so the change is on record.
    newer, _ = update_manifest(tmp_path, lambda p: Label("train"), skipped=[])
    assert (newer.version, newer.skipped) == ("1.1.0", [])
