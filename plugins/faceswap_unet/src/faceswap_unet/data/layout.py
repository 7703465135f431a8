"""Raw LFW in its three shapes: an ``lfw/`` tree, the official ``.tgz``, a Kaggle zip.

All three hold ``<Name>/<Name>_NNNN.jpg`` somewhere below their top folder
(the Kaggle zip nests it twice, ``lfw-deepfunneled/lfw-deepfunneled/``), so
an image is recognised by its last two path parts, wherever it sits. Images
are yielded as bytes in a stable order, so a rerun sees them identically.
"""

from __future__ import annotations

import os
import re
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import attrs

from faceswap_core.errors import InputError

IMAGE_NAME = re.compile(r"^(?P<name>[^/\\]+)_(?P<number>\d{4})\.(?:jpe?g|png)$", re.IGNORECASE)
MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""An LFW image is ~15 KB; anything this large is not one (and is not read whole)."""


@attrs.frozen
class RawImage:
    """One raw image: its identity, its key (``Name/Name_0001``) and how to read it."""

    identity: str
    key: str
    source: str


def image_key(path: PurePosixPath) -> tuple[str, str] | None:
    """``(identity, key)`` when ``path`` ends in ``<Name>/<Name>_NNNN.jpg``, else ``None``."""
    if len(path.parts) < 2:
        return None
    folder, name = path.parts[-2], path.parts[-1]
    match = IMAGE_NAME.match(name)
    if match is None or match.group("name") != folder:
        return None
    return folder, f"{folder}/{PurePosixPath(name).stem}"


def _unsafe(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return name.startswith(("/", "\\")) or ".." in parts


def kind_of(source: Path) -> str:
    """``tree``, ``tgz`` or ``zip``; anything else is an input error."""
    if source.is_dir():
        return "tree"
    if not source.is_file():
        raise InputError(f"LFW source not found: {source}")
    if zipfile.is_zipfile(source):
        return "zip"
    try:
        if tarfile.is_tarfile(source):
            return "tgz"
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc}") from None
    raise InputError(
        f"{source} is neither an lfw/ folder nor a .tgz or .zip archive of one; "
        "pass the folder holding <Name>/<Name>_0001.jpg"
    )


def iter_images(source: Path) -> Iterator[tuple[RawImage, bytes]]:
    """Every LFW image under ``source`` with its bytes, sorted by key; duplicates keep the first."""
    kind = kind_of(source)
    seen: set[str] = set()
    if kind == "tree":
        found: list[tuple[str, str, Path]] = []
        for dirpath, dirnames, filenames in os.walk(source):
            dirnames.sort()
            for filename in filenames:
                path = Path(dirpath, filename)
                hit = image_key(PurePosixPath(path.relative_to(source).as_posix()))
                if hit is not None:
                    found.append((hit[1], hit[0], path))
        for key, identity, path in sorted(found):
            if key in seen or path.stat().st_size > MAX_IMAGE_BYTES:
                continue
            seen.add(key)
            yield RawImage(identity, key, str(path)), path.read_bytes()
        return
    if kind == "zip":
        try:
            with zipfile.ZipFile(source) as bundle:
                members = []
                for info in bundle.infolist():
                    hit = image_key(PurePosixPath(info.filename))
                    if hit and not info.is_dir() and not _unsafe(info.filename):
                        members.append((hit[1], hit[0], info))
                for key, identity, info in sorted(members, key=lambda m: m[0]):
                    if key in seen or info.file_size > MAX_IMAGE_BYTES:
                        continue
                    seen.add(key)
                    yield RawImage(identity, key, f"{source}!{info.filename}"), bundle.read(info)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"cannot read zip {source}: {exc}") from None
        return
    # A tar is read once, in archive order (random access into a .tgz is slow);
    # the caller sorts by key when it needs an order.
    try:
        with tarfile.open(source, mode="r:*") as bundle:
            for member in bundle:
                hit = image_key(PurePosixPath(member.name))
                if not hit or not member.isfile() or _unsafe(member.name):
                    continue
                if hit[1] in seen or member.size > MAX_IMAGE_BYTES:
                    continue
                handle = bundle.extractfile(member)
                if handle is None:
                    continue
                seen.add(hit[1])
                yield RawImage(hit[0], hit[1], f"{source}!{member.name}"), handle.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InputError(f"cannot read archive {source}: {exc}") from None


__all__ = ["RawImage", "image_key", "iter_images", "kind_of"]
