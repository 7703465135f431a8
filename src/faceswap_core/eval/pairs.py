"""What an evaluation reads: labelled images and the pairs swapped between them.

Four inputs, one result (:class:`EvalData`):

- a prepared dataset: ``manifest.json`` (core's manifest format: path,
  sha256, split, label) next to the files; one split is evaluated and every
  file used is checked against its sha256;
- a folder in LFW layout, ``<Person>/<image>``;
- a CSV of explicit ``source,target`` pairs;
- a folder of videos, one person each, sampled FaceForensics++-style.

Pairs are sampled with a seeded generator over sorted inputs, so the same
data and seed always give the same pairs, and two runs (two swappers) on the
same data are scored on exactly the same pairs.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Literal

import attrs

from faceswap_core.errors import ConfigError, InputError
from faceswap_core.eval.results import read_csv_table
from faceswap_core.experiment.manifest import (
    MANIFEST_NAME,
    Label,
    build_manifest,
    manifest_dict,
    read_manifest,
)
from faceswap_core.interfaces.eval import PairKind
from faceswap_core.interfaces.face import Image
from faceswap_core.io.encode import write_image
from faceswap_core.io.hashing import sha256_bytes, sha256_file
from faceswap_core.io.video.sampling import read_frames

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")
SAMPLE_TRIES = 50
"""Draws per requested pair before giving up on finding another unique pair."""

DataKind = Literal["manifest", "lfw", "pairs", "videos"]


@attrs.frozen(eq=False)
class EvalImage:
    """One labelled image file.

    :ivar key: stable id used in reports (the path relative to the data root,
        or ``video.mp4#003`` for a sampled video frame).
    """

    key: str
    label: str
    path: Path


@attrs.frozen(eq=False)
class Pair:
    pair_id: str
    kind: PairKind
    source: EvalImage
    target: EvalImage


@attrs.frozen(eq=False)
class EvalData:
    """Labelled images (the gallery's material) and, for a CSV, the given pairs.

    :ivar version: the dataset's manifest version, when it has one.
    :ivar manifest_sha256: sha256 of the manifest (or of an equivalent listing
        with every file's sha256 for inputs without one), so a report says
        exactly which data it measured.
    """

    kind: DataKind
    root: Path
    images: tuple[EvalImage, ...]
    version: str | None
    manifest_sha256: str
    split: str | None = None
    pairs: tuple[Pair, ...] | None = None

    def by_label(self) -> dict[str, list[EvalImage]]:
        groups: dict[str, list[EvalImage]] = {}
        for image in self.images:
            groups.setdefault(image.label, []).append(image)
        return {
            label: sorted(items, key=lambda i: i.key) for label, items in sorted(groups.items())
        }

    def describe(self) -> dict[str, object]:
        """The ``dataset`` section of ``metrics.json``."""
        return {
            "kind": self.kind,
            "path": str(self.root),
            "version": self.version,
            "manifest_sha256": self.manifest_sha256,
            "split": self.split,
            "identities": len({image.label for image in self.images}),
            "images": len(self.images),
        }


def _cap(images: Iterable[EvalImage], per_identity: int) -> tuple[EvalImage, ...]:
    """At most ``per_identity`` images per label: the first by key, so the choice is stable."""
    kept: list[EvalImage] = []
    counts: dict[str, int] = {}
    for image in sorted(images, key=lambda i: (i.label, i.key)):
        if counts.get(image.label, 0) < per_identity:
            kept.append(image)
            counts[image.label] = counts.get(image.label, 0) + 1
    return tuple(kept)


# -- prepared datasets (manifest) ------------------------------------------------------


def load_manifest_data(root: Path, split: str, per_identity: int) -> EvalData:
    """The ``split`` of a prepared dataset; each file used must match its manifest sha256."""
    manifest_file = root / MANIFEST_NAME if root.is_dir() else root
    base = manifest_file.parent
    manifest = read_manifest(manifest_file)
    entries = [entry for entry in manifest.files if entry.split == split]
    if not entries:
        available = ", ".join(f"{name} ({count})" for name, count in manifest.splits().items())
        raise InputError(
            f"manifest {manifest_file} has no files in split {split!r}; "
            f"splits: {available or 'none'}; set eval.split"
        )
    unlabelled = [entry.path for entry in entries if not entry.label]
    if unlabelled:
        raise InputError(
            f"manifest {manifest_file}: {len(unlabelled)} files of split {split!r} have no "
            f"identity label (first: {unlabelled[0]}); evaluation needs one per file"
        )
    images = _cap(
        (EvalImage(entry.path, str(entry.label), path=base / entry.path) for entry in entries),
        per_identity,
    )
    expected = {entry.path: entry.sha256 for entry in entries}
    for image in images:
        assert image.path is not None
        if not image.path.is_file():
            raise InputError(f"dataset file missing: {image.path} (listed in {manifest_file})")
        if sha256_file(image.path) != expected[image.key]:
            raise InputError(
                f"dataset file {image.path} does not match its sha256 in {manifest_file}; "
                f"the data changed since it was prepared: prepare it again"
            )
    return EvalData(
        kind="manifest",
        root=base,
        images=images,
        version=manifest.version,
        manifest_sha256=sha256_file(manifest_file),
        split=split,
    )


# -- LFW layout ----------------------------------------------------------------------------


def _lfw_label(relative: PurePosixPath) -> Label | None:
    if len(relative.parts) != 2 or relative.suffix.lower() not in IMAGE_SUFFIXES:
        return None
    return Label(split="all", label=relative.parts[0])


def load_lfw_folder(root: Path, per_identity: int) -> EvalData:
    """Photos in ``<Person>/<image>`` folders; the hash covers every file's sha256."""
    listing = build_manifest(root, _lfw_label, name=root.name)
    if not listing.files:
        raise InputError(
            f"no images in LFW layout under {root}: expected <Person>/<image> "
            f"({', '.join(IMAGE_SUFFIXES)}) or a prepared dataset with {MANIFEST_NAME}"
        )
    images = _cap(
        (EvalImage(e.path, str(e.label), path=root / e.path) for e in listing.files), per_identity
    )
    text = json.dumps(manifest_dict(listing), sort_keys=True)
    return EvalData(
        kind="lfw",
        root=root,
        images=images,
        version=None,
        manifest_sha256=sha256_bytes(text.encode("utf-8")),
    )


def load_data_folder(path: str | Path, split: str, per_identity: int) -> EvalData:
    """``--data``: a prepared dataset when it has a manifest, else an LFW-layout folder."""
    root = Path(path)
    if root.is_file() and root.name.endswith(".json"):
        return load_manifest_data(root, split, per_identity)
    if not root.is_dir():
        raise InputError(f"data folder not found: {root}")
    if (root / MANIFEST_NAME).is_file():
        return load_manifest_data(root, split, per_identity)
    return load_lfw_folder(root, per_identity)


# -- a CSV of pairs ------------------------------------------------------------------------


def load_pairs_csv(path: str | Path) -> EvalData:
    """Explicit pairs: columns ``source,target`` and optionally ``source_label,target_label``.

    Paths are relative to the CSV's folder; a missing label is the image's
    parent folder name. Pairs with equal labels are self pairs.
    """
    file = Path(path)
    reader = read_csv_table(
        file,
        "pairs file",
        ("source", "target"),
        "'source' and 'target' columns (optional 'source_label', 'target_label')",
    )
    images: dict[str, EvalImage] = {}

    def image(value: str | None, label: str | None, line: int, column: str) -> EvalImage:
        if not value:
            raise InputError(f"pairs file {file} line {line}: empty {column!r}")
        resolved = (file.parent / value).resolve()
        if not resolved.is_file():
            raise InputError(f"pairs file {file} line {line}: {column} image not found: {value}")
        key = Path(value).as_posix()
        name = label or resolved.parent.name
        known = images.get(key)
        if known is not None and known.label != name:
            raise InputError(
                f"pairs file {file} line {line}: {value} is labelled {name!r} here and "
                f"{known.label!r} before"
            )
        return images.setdefault(key, EvalImage(key, name, path=resolved))

    pairs: list[Pair] = []
    for line, row in enumerate(reader, start=2):
        source = image(row.get("source"), row.get("source_label"), line, "source")
        target = image(row.get("target"), row.get("target_label"), line, "target")
        kind: PairKind = "self" if source.label == target.label else "cross"
        if source.key == target.key:
            raise InputError(f"pairs file {file} line {line}: source and target are one image")
        pairs.append(Pair(f"p{len(pairs) + 1:05d}", kind, source, target))
    if not pairs:
        raise InputError(f"pairs file {file} has no pairs")
    return EvalData(
        kind="pairs",
        root=file.parent,
        images=tuple(sorted(images.values(), key=lambda i: (i.label, i.key))),
        version=None,
        manifest_sha256=sha256_file(file),
        pairs=tuple(pairs),
    )


# -- videos ----------------------------------------------------------------------------------


def load_videos(
    root: str | Path,
    frames_per_video: int,
    frames_dir: Path,
    sampler: Callable[[Path, int], list[Image]] = read_frames,
) -> EvalData:
    """Each video is one identity (its file stem) with ``frames_per_video`` sampled frames.

    The frames are written to ``frames_dir`` as lossless PNG (one video's frames
    in memory at a time), so a FaceForensics++-sized folder does not have to fit
    in memory.
    """
    folder = Path(root)
    if not folder.is_dir():
        raise InputError(f"videos folder not found: {folder}")
    videos = sorted(p for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    if not videos:
        raise InputError(f"no videos ({', '.join(VIDEO_SUFFIXES)}) in {folder}")
    images: list[EvalImage] = []
    digests: list[str] = []
    for number, video in enumerate(videos):
        digests.append(f"{video.name} {sha256_file(video)}")
        for index, frame in enumerate(sampler(video, frames_per_video)):
            path = frames_dir / f"{number:05d}" / f"{index:03d}.png"
            write_image(path, frame, format="png", provenance=False)
            images.append(EvalImage(f"{video.name}#{index:03d}", video.stem, path))
    listing = "\n".join([f"frames_per_video {frames_per_video}", *digests]) + "\n"
    return EvalData(
        kind="videos",
        root=folder,
        images=tuple(images),
        version=None,
        manifest_sha256=sha256_bytes(listing.encode("utf-8")),
    )


# -- pair sampling ---------------------------------------------------------------------------


def sample_pairs(data: EvalData, *, cross: int, same: int, seed: int) -> list[Pair]:
    """Seeded cross-identity and self pairs, each unique; the CSV's own pairs when given.

    A cross pair's source identity has at least two images, so the retrieval
    gallery holds one of its images other than the source. Fewer pairs come
    back when the data cannot give as many unique ones.
    """
    if data.pairs is not None:
        return list(data.pairs)
    groups = data.by_label()
    labels = sorted(groups)
    several = [label for label in labels if len(groups[label]) >= 2]
    if cross and (len(labels) < 2 or not several):
        raise InputError(
            f"cross pairs need two identities, one of them with 2+ images; {data.root} has "
            f"{len(labels)} identities, {len(several)} with 2+ images"
        )
    if same and not several:
        raise InputError(f"self pairs need an identity with 2+ images; {data.root} has none")
    rng = random.Random(seed)
    pairs: list[Pair] = []
    seen: set[tuple[str, str]] = set()
    counts: dict[PairKind, int] = {"cross": 0, "self": 0}

    def add(kind: PairKind, source: EvalImage, target: EvalImage) -> None:
        if (source.key, target.key) in seen:
            return
        seen.add((source.key, target.key))
        counts[kind] += 1
        prefix = "c" if kind == "cross" else "s"
        pairs.append(Pair(f"{prefix}{counts[kind]:05d}", kind, source, target))

    for _ in range(cross * SAMPLE_TRIES):
        if counts["cross"] >= cross:
            break
        source_label = rng.choice(several)
        target_label = rng.choice([label for label in labels if label != source_label])
        add("cross", rng.choice(groups[source_label]), rng.choice(groups[target_label]))
    for _ in range(same * SAMPLE_TRIES):
        if counts["self"] >= same:
            break
        source, target = rng.sample(groups[rng.choice(several)], 2)
        add("self", source, target)
    return pairs


def load_data(
    *,
    data: str | Path | None,
    pairs: str | Path | None,
    videos: str | Path | None,
    split: str,
    per_identity: int,
    frames_per_video: int,
    frames_dir: Path,
) -> EvalData:
    """Exactly one of ``data``, ``pairs`` and ``videos`` (whose frames go to ``frames_dir``)."""
    given = [
        name for name, value in (("data", data), ("pairs", pairs), ("videos", videos)) if value
    ]
    if len(given) != 1:
        raise ConfigError(
            "pass exactly one input: --data DIR (prepared dataset or LFW layout), "
            "--pairs PAIRS.csv or --videos DIR"
            + (f"; got {', '.join('--' + name for name in given)}" if given else "")
        )
    if data:
        return load_data_folder(data, split, per_identity)
    if pairs:
        return load_pairs_csv(pairs)
    assert videos
    return load_videos(videos, frames_per_video, frames_dir)


def pair_keys(pairs: Sequence[Pair]) -> list[tuple[str, str, str]]:
    """``(pair_id, source key, target key)``: what makes two runs comparable pair by pair."""
    return [(pair.pair_id, pair.source.key, pair.target.key) for pair in pairs]


__all__ = [
    "IMAGE_SUFFIXES",
    "VIDEO_SUFFIXES",
    "EvalData",
    "EvalImage",
    "Pair",
    "load_data",
    "load_data_folder",
    "load_lfw_folder",
    "load_manifest_data",
    "load_pairs_csv",
    "load_videos",
    "pair_keys",
    "sample_pairs",
]
