"""Atomic writes: a failed writer leaves the old file and no temporary behind."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceswap_core.io.atomic import (
    atomic_path,
    atomic_write,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    is_temp_path,
    temp_path_for,
)


class WriterFailedError(RuntimeError):
    pass


def test_failing_writer_keeps_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    atomic_write_text(target, "old")

    def write_half() -> None:
        with atomic_write(target) as handle:
            handle.write("half of the new content")
            raise WriterFailedError

    with pytest.raises(WriterFailedError):
        write_half()
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_failing_path_writer_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "model.onnx"
    atomic_write_bytes(target, b"v1")

    def write_partial() -> None:
        with atomic_path(target) as temp:
            temp.write_bytes(b"partial")
            raise WriterFailedError

    with pytest.raises(WriterFailedError):
        write_partial()
    assert target.read_bytes() == b"v1"
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_unserialisable_json_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    atomic_write_json(target, {"a": 1})
    with pytest.raises(TypeError):
        atomic_write_json(target, {"a": object()})
    assert json.loads(target.read_text()) == {"a": 1}
    assert len(list(tmp_path.iterdir())) == 1


def test_writer_that_creates_nothing_is_an_error(tmp_path: Path) -> None:
    target = tmp_path / "x.bin"
    with pytest.raises(FileNotFoundError), atomic_path(target):
        pass
    assert not target.exists()


def test_temp_path_is_a_hidden_sibling_keeping_the_suffix(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "frame.png"
    temp = temp_path_for(target)
    assert temp.parent == target.parent
    assert temp.suffix == ".png"
    assert is_temp_path(temp)
    assert not is_temp_path(target)
    assert temp != temp_path_for(target)


def test_atomic_path_accepts_a_folder_and_creates_parents(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "ckpt"
    with atomic_path(target) as temp:
        temp.mkdir()
        (temp / "weights.bin").write_bytes(b"w")
    assert (target / "weights.bin").read_bytes() == b"w"


def test_replacing_keeps_the_existing_file_mode(tmp_path: Path) -> None:
    target = tmp_path / "script.sh"
    atomic_write_text(target, "echo 1")
    os.chmod(target, 0o751)
    atomic_write_text(target, "echo 2")
    assert target.read_text() == "echo 2"
    assert target.stat().st_mode & 0o777 == 0o751


@settings(max_examples=25, deadline=None)
@given(data=st.binary(max_size=2048))
def test_bytes_round_trip(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    target = tmp_path_factory.mktemp("rt") / "blob.bin"
    atomic_write_bytes(target, data)
    assert target.read_bytes() == data


@settings(max_examples=25, deadline=None)
@given(text=st.text(max_size=300))
def test_text_round_trip(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    target = tmp_path_factory.mktemp("rt") / "note.txt"
    atomic_write_text(target, text)
    assert target.read_bytes().decode("utf-8") == text


@settings(max_examples=200, deadline=None)
@given(
    stem=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
        min_size=1,
        max_size=250,
    ),
    suffix=st.sampled_from(["", ".png", ".mp4", ".tar.gz", ".onnx"]),
)
def test_every_legal_name_has_a_temporary_name_that_fits(stem: str, suffix: str) -> None:
    """Issue 17: a legal 250-character output name failed because its temporary name did not fit."""
    name = stem + suffix
    if len(name.encode("utf-8")) > 255 or name in (".", ".."):
        return  # not a legal file name in the first place
    temp = temp_path_for(Path("/out") / name)
    assert len(temp.name.encode("utf-8")) <= 255
    assert is_temp_path(temp)
    assert temp.parent == Path("/out")
    assert temp.name.endswith(Path(name).suffix)  # format detection by extension still works
    assert temp.name != name


def test_a_250_character_name_is_written_through_its_short_temporary_name(tmp_path: Path) -> None:
    target = tmp_path / ("é" * 120 + ".png")  # 244 bytes: legal, its plain temporary name is not
    atomic_write_bytes(target, b"data")
    assert target.read_bytes() == b"data"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


@pytest.mark.parametrize("renameat2", [True, False], ids=["renameat2", "link-fallback"])
def test_no_replace_never_replaces_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, renameat2: bool
) -> None:
    from faceswap_core.errors import OutputPathError
    from faceswap_core.io import atomic

    if not renameat2:  # a system or file system without RENAME_NOREPLACE: link, then unlink
        monkeypatch.setattr(atomic, "_renameat2", lambda: None)
    target = tmp_path / "out.bin"
    atomic_write_bytes(target, b"first", replace=False)
    with pytest.raises(OutputPathError, match="exists"):
        atomic_write_bytes(target, b"second", replace=False)
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]
    folder = tmp_path / "ckpt"
    with atomic_path(folder, replace=False) as temp:
        temp.mkdir()
        (temp / "w.bin").write_bytes(b"w")
    with pytest.raises(OutputPathError), atomic_path(folder, replace=False) as temp:
        temp.mkdir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt", "out.bin"]
