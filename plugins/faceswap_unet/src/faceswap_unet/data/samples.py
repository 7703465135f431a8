"""Samples of a prepared dataset, per split, as numpy arrays (no torch).

Opening a prepared folder checks it first: no manifest, or files whose
checksums no longer match, is a one-line error naming the folder and what
to run, never a silent training on different data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from faceswap_core.errors import InputError
from faceswap_core.experiment.manifest import (
    MANIFEST_NAME,
    Manifest,
    read_manifest,
    verify_manifest,
)
from faceswap_core.interfaces.face import Image
from faceswap_core.vision.align import template
from faceswap_unet.data.prepare import ANNOTATIONS, labeling_for, read_info


@attrs.frozen
class Prepared:
    """A verified prepared folder: its manifest, annotations and split assignment."""

    root: Path
    manifest: Manifest
    annotations: dict[str, dict[str, Any]]
    info: dict[str, Any]

    @property
    def crop_size(self) -> int:
        return int(self.info.get("crop_size", 112))

    @property
    def template(self) -> str:
        return str(self.info.get("template", "arcface"))

    def paths(self, split: str) -> list[str]:
        return sorted(e.path for e in self.manifest.files if e.split == split)

    def identities(self) -> list[str]:
        return sorted({e.label for e in self.manifest.files if e.label is not None})


def open_prepared(root: str | Path, *, verify: bool = True) -> Prepared:
    """Read and (by default) verify a prepared folder against its manifest."""
    base = Path(root)
    if not base.is_dir():
        raise InputError(
            f"dataset folder not found: {base}; prepare one with "
            "faceswap data lfw prepare --src LFW --out DIR"
        )
    if not (base / MANIFEST_NAME).is_file():
        raise InputError(
            f"{base} has no {MANIFEST_NAME}: it is not a prepared dataset; run "
            f"faceswap data lfw prepare --src RAW --out {base}"
        )
    manifest = read_manifest(base / MANIFEST_NAME)
    info = read_info(base)
    if verify:
        labeling = labeling_for(info.get("assignment", {}), int(info.get("seed", 0)))
        report = verify_manifest(manifest, base, labeling)
        if not report.ok:
            first = [c.path for c in report.changed][:3] + report.missing[:3]
            raise InputError(
                f"{base} does not match its manifest ({report.summary()}; e.g. "
                f"{', '.join(first) or ', '.join(report.extra[:3])}); run faceswap data update "
                f"{base} to accept the changes, or prepare it again"
            )
    annotations_file = base / ANNOTATIONS
    annotations = (
        json.loads(annotations_file.read_text(encoding="utf-8"))
        if annotations_file.is_file()
        else {}
    )
    return Prepared(base, manifest, annotations, info)


class LfwSplit:
    """The crops of one split: ``image`` (RGB uint8), ``kps`` (5 x 2), ``identity`` (int).

    :param identities: the identity index space (all identities of the
        dataset), so indices agree across splits.
    :param paths: a subset of crop paths (default: every crop of ``split``).
    """

    def __init__(
        self,
        prepared: Prepared,
        split: str,
        *,
        identities: Sequence[str] | None = None,
        paths: Sequence[str] | None = None,
    ) -> None:
        self.prepared = prepared
        self.split = split
        self.paths = list(paths) if paths is not None else prepared.paths(split)
        entries = prepared.manifest.by_path()
        self.labels = [str(entries[p].label) for p in self.paths]
        names = list(identities) if identities is not None else prepared.identities()
        self.identity_names = names
        index = {name: i for i, name in enumerate(names)}
        self.identity = [index[label] for label in self.labels]
        self._default_kps = template(prepared.crop_size, prepared.template)

    def __len__(self) -> int:
        return len(self.paths)

    def by_identity(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, label in enumerate(self.labels):
            out.setdefault(label, []).append(i)
        return out

    def image(self, index: int) -> Image:
        import cv2

        path = self.prepared.root / self.paths[index]
        data = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if data is None:
            raise InputError(f"cannot read crop {path}")
        return np.ascontiguousarray(data[:, :, ::-1])

    def kps(self, index: int) -> np.ndarray[Any, Any]:
        note = self.prepared.annotations.get(self.paths[index])
        if note and note.get("kps") is not None:
            return np.asarray(note["kps"], np.float32)
        return self._default_kps.copy()

    def __getitem__(self, index: int) -> Mapping[str, Any]:
        if not 0 <= index < len(self.paths):
            raise IndexError(index)
        return {
            "image": self.image(index),
            "kps": self.kps(index),
            "identity": self.identity[index],
            "label": self.labels[index],
            "path": self.paths[index],
        }


__all__ = ["LfwSplit", "Prepared", "open_prepared"]
