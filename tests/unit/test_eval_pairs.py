"""Eval inputs: seeded pairs, manifests, LFW folders, pair CSVs and video frame sampling."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage

from faceswap_core.errors import ConfigError, InputError, InvalidVideoError
from faceswap_core.eval.pairs import (
    EvalData,
    EvalImage,
    load_data,
    load_data_folder,
    load_pairs_csv,
    load_videos,
    sample_pairs,
)
from faceswap_core.experiment.manifest import Label, build_manifest, write_manifest
from faceswap_core.io.video.sampling import read_frames


def data_of(counts: dict[str, int]) -> EvalData:
    images = tuple(
        EvalImage(f"{label}/{i}.jpg", label, Path(f"/nowhere/{label}/{i}.jpg"))
        for label, count in counts.items()
        for i in range(count)
    )
    return EvalData("lfw", Path("/nowhere"), images, None, "0" * 64)


def test_same_seed_same_pairs_other_seed_other_pairs() -> None:
    data = data_of({"a": 3, "b": 2, "c": 1, "d": 4})
    first = sample_pairs(data, cross=6, same=3, seed=7)
    again = sample_pairs(data, cross=6, same=3, seed=7)
    other = sample_pairs(data, cross=6, same=3, seed=8)
    key = [(p.pair_id, p.source.key, p.target.key) for p in first]
    assert key == [(p.pair_id, p.source.key, p.target.key) for p in again]
    assert key != [(p.pair_id, p.source.key, p.target.key) for p in other]


@settings(max_examples=30, deadline=None)
@given(
    counts=st.dictionaries(
        st.sampled_from("abcdefg"), st.integers(1, 4), min_size=2, max_size=7
    ).filter(lambda c: any(n >= 2 for n in c.values())),
    cross=st.integers(0, 20),
    same=st.integers(0, 10),
    seed=st.integers(0, 2**32 - 1),
)
def test_pairs_are_unique_and_of_the_right_kind(
    counts: dict[str, int], cross: int, same: int, seed: int
) -> None:
    pairs = sample_pairs(data_of(counts), cross=cross, same=same, seed=seed)
    keys = [(p.source.key, p.target.key) for p in pairs]
    assert len(keys) == len(set(keys))
    crosses = [p for p in pairs if p.kind == "cross"]
    selves = [p for p in pairs if p.kind == "self"]
    assert len(crosses) <= cross
    assert len(selves) <= same
    for pair in crosses:
        assert pair.source.label != pair.target.label
        assert counts[pair.source.label] >= 2  # the gallery keeps another image of the source
    for pair in selves:
        assert pair.source.label == pair.target.label
        assert pair.source.key != pair.target.key
    assert len({p.pair_id for p in pairs}) == len(pairs)


def test_enough_data_gives_exactly_the_requested_counts() -> None:
    pairs = sample_pairs(data_of({"a": 5, "b": 5, "c": 5, "d": 5}), cross=30, same=12, seed=3)
    assert sum(p.kind == "cross" for p in pairs) == 30
    assert sum(p.kind == "self" for p in pairs) == 12


def test_one_identity_cannot_give_cross_pairs() -> None:
    with pytest.raises(InputError, match="two identities"):
        sample_pairs(data_of({"a": 3}), cross=2, same=0, seed=0)


def _write_images(root: Path, names: dict[str, int]) -> None:
    for label, count in names.items():
        (root / label).mkdir(parents=True)
        for i in range(count):
            colour = (i * 40, len(label) * 30, 90)
            PILImage.new("RGB", (16, 16), colour).save(root / label / f"{i}.png")


def test_lfw_folder_labels_images_by_their_folder(tmp_path: Path) -> None:
    _write_images(tmp_path, {"Ann_A": 2, "Bob_B": 3})
    (tmp_path / "notes.txt").write_text("not an image")
    data = load_data_folder(tmp_path, "test", per_identity=10)
    assert data.kind == "lfw"
    assert {image.key: image.label for image in data.images} == {
        "Ann_A/0.png": "Ann_A",
        "Ann_A/1.png": "Ann_A",
        "Bob_B/0.png": "Bob_B",
        "Bob_B/1.png": "Bob_B",
        "Bob_B/2.png": "Bob_B",
    }
    capped = load_data_folder(tmp_path, "test", per_identity=2)
    assert sorted(image.key for image in capped.images if image.label == "Bob_B") == [
        "Bob_B/0.png",
        "Bob_B/1.png",
    ]
    # the hash changes when a file does
    PILImage.new("RGB", (16, 16), (1, 2, 3)).save(tmp_path / "Ann_A" / "0.png")
    assert load_data_folder(tmp_path, "test", 10).manifest_sha256 != data.manifest_sha256


def _prepared(root: Path) -> Path:
    _write_images(root, {"Ann": 2, "Bob": 2, "Cid": 2})
    write_manifest(
        build_manifest(
            root,
            lambda p: Label("train" if p.parts[0] == "Ann" else "test", p.parts[0]),
            version="1.2.0",
        ),
        root / "manifest.json",
    )
    return root


def test_manifest_dataset_reads_one_split_with_version_and_hash(tmp_path: Path) -> None:
    root = _prepared(tmp_path)
    data = load_data_folder(root, "test", per_identity=10)
    assert data.kind == "manifest"
    assert data.version == "1.2.0"
    assert data.split == "test"
    assert {image.label for image in data.images} == {"Bob", "Cid"}
    import hashlib

    assert data.manifest_sha256 == hashlib.sha256((root / "manifest.json").read_bytes()).hexdigest()
    with pytest.raises(InputError, match=r"no files in split 'val'.*test \(4\), train \(2\)"):
        load_data_folder(root, "val", per_identity=10)


def test_a_changed_dataset_file_is_refused(tmp_path: Path) -> None:
    root = _prepared(tmp_path)
    PILImage.new("RGB", (16, 16), (9, 9, 9)).save(root / "Bob" / "1.png")
    with pytest.raises(InputError, match="does not match its sha256"):
        load_data_folder(root, "test", per_identity=10)


def test_pairs_csv_with_and_without_labels(tmp_path: Path) -> None:
    _write_images(tmp_path, {"Ann": 2, "Bob": 1})
    csv_file = tmp_path / "pairs.csv"
    csv_file.write_text(
        "source,target,source_label,target_label\nAnn/0.png,Bob/0.png,,\nAnn/0.png,Ann/1.png,,\n"
    )
    data = load_pairs_csv(csv_file)
    assert data.pairs is not None
    assert [(p.pair_id, p.kind) for p in data.pairs] == [("p00001", "cross"), ("p00002", "self")]
    assert data.pairs[0].source.label == "Ann"  # the parent folder name
    assert sample_pairs(data, cross=0, same=0, seed=1) == list(data.pairs)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("src,tgt\na,b\n", "needs a header with 'source' and 'target'"),
        ("source,target\nAnn/0.png,Ann/9.png\n", "line 2: target image not found"),
        ("source,target\nAnn/0.png,Ann/0.png\n", "line 2: source and target are one image"),
        ("source,target\n", "has no pairs"),
        (
            "source,target,source_label\nAnn/0.png,Ann/1.png,x\nAnn/0.png,Ann/1.png,y\n",
            "line 3: Ann/0.png is labelled 'y' here and 'x' before",
        ),
    ],
)
def test_bad_pairs_csv_names_the_line(tmp_path: Path, text: str, message: str) -> None:
    _write_images(tmp_path, {"Ann": 2})
    (tmp_path / "pairs.csv").write_text(text)
    with pytest.raises(InputError, match=message):
        load_pairs_csv(tmp_path / "pairs.csv")


def test_exactly_one_input_is_required() -> None:
    options = {"split": "test", "per_identity": 5, "frames_per_video": 4, "frames_dir": Path()}
    with pytest.raises(ConfigError, match="exactly one input"):
        load_data(data=None, pairs=None, videos=None, **options)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="got --data, --videos"):
        load_data(data="a", pairs=None, videos="b", **options)  # type: ignore[arg-type]


def write_video(path: Path, frames: int) -> None:
    """An MPEG-4 video whose frame i is filled with grey level 8 * i (PyAV)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.options = {"qscale": "1"}
        for index in range(frames):
            pixels = np.full((48, 64, 3), 8 * index, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_video_frames_are_evenly_spaced(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    write_video(video, 25)
    frames = read_frames(video, 5)
    levels = [round(float(frame.mean()) / 8) for frame in frames]
    assert levels == [0, 6, 12, 18, 24]  # linspace(0, 24, 5)
    assert frames[0].shape == (48, 64, 3)


def test_each_video_is_one_identity(tmp_path: Path) -> None:
    for name in ("alice", "bob"):
        write_video(tmp_path / f"{name}.mp4", 12)
    (tmp_path / "readme.txt").write_text("skip me")
    data = load_videos(tmp_path, 3, tmp_path / "frames")
    assert data.kind == "videos"
    bob = [image for image in data.images if image.label == "bob"]
    assert [image.key for image in bob] == ["bob.mp4#000", "bob.mp4#001", "bob.mp4#002"]
    levels = [round(float(np.asarray(PILImage.open(i.path)).mean()) / 8) for i in bob]
    assert levels == [0, 6, 11]  # frames 0, 5.5 -> 6 and 11 of twelve, written losslessly


def test_a_file_that_is_not_a_video_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "broken.mp4").write_bytes(b"\x00" * 100)
    with pytest.raises(InvalidVideoError, match=r"broken\.mp4") as caught:
        load_videos(tmp_path, 3, tmp_path / "frames")
    assert caught.value.exit_code == 3  # an input error, like an undecodable image
