"""Dataset manifests: every file with its sha256, size, split and label, plus a version.

A dataset is only reproducible if one can tell that its files are the ones
a run used. The manifest (``manifest.json``) lists them with checksums and a
semver ``version``; :func:`verify_manifest` reports missing, changed and extra
files; :func:`update_manifest` rebuilds it, bumps the version and adds a
``CHANGELOG.md`` entry with the added / removed / changed counts.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import attrs

from faceswap_core.config.convert import structure, unstructure
from faceswap_core.errors import ConfigError, InputError
from faceswap_core.io.atomic import atomic_write_json, atomic_write_text, is_temp_path
from faceswap_core.io.hashing import sha256_file

SCHEMA = "faceswap.dataset-manifest/1"
MANIFEST_NAME = "manifest.json"
CHANGELOG_NAME = "CHANGELOG.md"
INITIAL_VERSION = "1.0.0"
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
Part = Literal["major", "minor", "patch"]


@attrs.frozen
class Label:
    """What a labeling function says about one file."""

    split: str
    label: str | None = None


Labeling = Callable[[PurePosixPath], Label | None]
"""Maps a path relative to the dataset root to its split and label; ``None`` skips the file."""


@attrs.frozen
class ManifestEntry:
    path: str
    sha256: str
    size: int
    split: str
    label: str | None = None


@attrs.frozen
class SkippedFile:
    """An input deliberately left out of the dataset, and why (e.g. no face found)."""

    path: str
    reason: str


@attrs.frozen(kw_only=True)
class Manifest:
    """A versioned list of files; ``files`` are sorted by path.

    ``skipped`` lists inputs that produced no file (an image with no face), so
    nothing is dropped silently.
    """

    schema: str = SCHEMA
    version: str
    name: str | None = None
    files: list[ManifestEntry]
    skipped: list[SkippedFile] = attrs.Factory(list)

    def by_path(self) -> dict[str, ManifestEntry]:
        return {entry.path: entry for entry in self.files}

    def splits(self) -> dict[str, int]:
        """Number of files per split."""
        counts: dict[str, int] = {}
        for entry in self.files:
            counts[entry.split] = counts.get(entry.split, 0) + 1
        return dict(sorted(counts.items()))


@attrs.frozen
class ChangedFile:
    path: str
    expected_sha256: str
    actual_sha256: str | None
    expected_size: int
    actual_size: int


@attrs.frozen
class VerifyReport:
    """The result of checking a folder against its manifest."""

    missing: list[str]
    changed: list[ChangedFile]
    extra: list[str]
    checked: int

    @property
    def ok(self) -> bool:
        return not (self.missing or self.changed or self.extra)

    def summary(self) -> str:
        if self.ok:
            return f"all {self.checked} files match"
        return (
            f"{len(self.missing)} missing, {len(self.changed)} changed, "
            f"{len(self.extra)} extra of {self.checked} files"
        )


@attrs.frozen
class ManifestDiff:
    added: list[str]
    removed: list[str]
    changed: list[str]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _skipped(relative: PurePosixPath, exclude: Iterable[str]) -> bool:
    """Hidden files (atomic-write temporaries included) and the manifest's own files."""
    return (
        any(part.startswith(".") for part in relative.parts)
        or relative.as_posix() in exclude
        or is_temp_path(relative)
    )


def iter_files(
    root: str | os.PathLike[str], exclude: Iterable[str] = (MANIFEST_NAME, CHANGELOG_NAME)
) -> Iterator[PurePosixPath]:
    """Relative POSIX paths of the dataset's files, sorted, skipping hidden and excluded ones."""
    base = Path(root)
    excluded = set(exclude)
    found = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for filename in filenames:
            relative = PurePosixPath(Path(dirpath, filename).relative_to(base).as_posix())
            if not _skipped(relative, excluded):
                found.append(relative)
    yield from sorted(found)


def build_manifest(
    root: str | os.PathLike[str],
    labeling: Labeling,
    *,
    version: str = INITIAL_VERSION,
    name: str | None = None,
    exclude: Iterable[str] = (MANIFEST_NAME, CHANGELOG_NAME),
) -> Manifest:
    """Hash every file under ``root`` that ``labeling`` keeps."""
    base = Path(root)
    if not base.is_dir():
        raise InputError(f"dataset folder not found: {base}; pass the folder that holds the files")
    parse_version(version)
    entries = []
    for relative in iter_files(base, exclude):
        label = labeling(relative)
        if label is None:
            continue
        file = base / relative
        entries.append(
            ManifestEntry(
                path=relative.as_posix(),
                sha256=sha256_file(file),
                size=file.stat().st_size,
                split=label.split,
                label=label.label,
            )
        )
    return Manifest(version=version, files=entries, name=name)


def write_manifest(manifest: Manifest, path: str | os.PathLike[str]) -> Path:
    """Write the manifest as JSON, atomically."""
    return atomic_write_json(path, unstructure(manifest))


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read and validate a manifest; a broken file names itself and the reason."""
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"manifest not found: {file}; build one with build_manifest()") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read manifest {file}: {exc}") from None
    if isinstance(data, dict) and data.get("schema") != SCHEMA:
        raise InputError(
            f"manifest {file}: schema {data.get('schema')!r} is not {SCHEMA!r}; rebuild it"
        )
    try:
        manifest = structure(data, Manifest)
    except ConfigError as exc:
        raise InputError(f"manifest {file} is malformed: {exc}") from None
    parse_version(manifest.version)
    return manifest


def verify_manifest(
    manifest: Manifest, root: str | os.PathLike[str], labeling: Labeling | None = None
) -> VerifyReport:
    """Compare files under ``root`` to the manifest: missing, changed (size or sha256), extra.

    Pass the ``labeling`` the manifest was built with so that files it skips
    are not reported as extra.
    """
    base = Path(root)
    expected = manifest.by_path()
    present = (
        {p.as_posix() for p in iter_files(base) if labeling is None or labeling(p) is not None}
        if base.is_dir()
        else set()
    )
    missing, changed = [], []
    for path, entry in sorted(expected.items()):
        if path not in present:
            missing.append(path)
            continue
        file = base / path
        size = file.stat().st_size
        # A size change is enough: skip hashing the file.
        digest = sha256_file(file) if size == entry.size else None
        if digest != entry.sha256:
            changed.append(ChangedFile(path, entry.sha256, digest, entry.size, size))
    extra = sorted(present - set(expected))
    return VerifyReport(missing=missing, changed=changed, extra=extra, checked=len(expected))


def parse_version(version: str) -> tuple[int, int, int]:
    match = SEMVER.fullmatch(version)
    if match is None:
        raise ConfigError(
            f"manifest version {version!r} is not semver MAJOR.MINOR.PATCH, e.g. 1.0.0"
        )
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def bump_version(version: str, part: Part) -> str:
    """``1.2.3`` -> major ``2.0.0``, minor ``1.3.0``, patch ``1.2.4``."""
    major, minor, patch = parse_version(version)
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    if part == "patch":
        return f"{major}.{minor}.{patch + 1}"
    raise ConfigError(f"version part must be 'major', 'minor' or 'patch', got {part!r}")


def diff_manifests(old: Manifest, new: Manifest) -> ManifestDiff:
    """Files added, removed, and changed (content, split or label) from ``old`` to ``new``."""
    before, after = old.by_path(), new.by_path()
    return ManifestDiff(
        added=sorted(set(after) - set(before)),
        removed=sorted(set(before) - set(after)),
        changed=sorted(p for p in set(before) & set(after) if before[p] != after[p]),
    )


def changelog_entry(version: str, diff: ManifestDiff, date: _dt.date, note: str | None) -> str:
    lines = [
        f"## {version} - {date.isoformat()}",
        "",
        f"- added: {len(diff.added)} files",
        f"- removed: {len(diff.removed)} files",
        f"- changed: {len(diff.changed)} files",
    ]
    if note:
        lines += ["", note.strip()]
    return "\n".join(lines) + "\n"


def append_changelog(path: str | os.PathLike[str], entry: str, version: str) -> Path:
    """Put ``entry`` at the top of the changelog (newest first); a version is written once."""
    file = Path(path)
    text = file.read_text(encoding="utf-8") if file.exists() else ""
    heading = "# Changelog\n"
    body = text[len(heading) :].lstrip("\n") if text.startswith(heading) else text
    if re.search(rf"^## {re.escape(version)} ", body, flags=re.MULTILINE):
        return file  # a rerun after a crash between the two writes
    return atomic_write_text(file, f"{heading}\n{entry}\n{body}".rstrip("\n") + "\n")


def update_manifest(
    root: str | os.PathLike[str],
    labeling: Labeling,
    *,
    part: Part = "minor",
    manifest_path: str | os.PathLike[str] | None = None,
    changelog_path: str | os.PathLike[str] | None = None,
    note: str | None = None,
    today: _dt.date | None = None,
    name: str | None = None,
    skipped: list[SkippedFile] | None = None,
) -> tuple[Manifest, ManifestDiff]:
    """Rebuild the manifest of ``root``; when files changed, bump the version and log it.

    Without an existing manifest the first one is written at
    :data:`INITIAL_VERSION`. Nothing is written when nothing changed.

    :param name: the dataset's name (kept from the old manifest when ``None``).
    :param skipped: inputs left out and why (kept from the old manifest when ``None``).
    """
    base = Path(root)
    manifest_file = Path(manifest_path) if manifest_path else base / MANIFEST_NAME
    changelog_file = Path(changelog_path) if changelog_path else base / CHANGELOG_NAME
    date = today or _dt.date.today()
    exclude = _excluded_names(base, manifest_file, changelog_file)
    if not manifest_file.exists():
        first = attrs.evolve(
            build_manifest(base, labeling, exclude=exclude, name=name), skipped=skipped or []
        )
        diff = ManifestDiff(added=[e.path for e in first.files], removed=[], changed=[])
        append_changelog(
            changelog_file, changelog_entry(first.version, diff, date, note), first.version
        )
        write_manifest(first, manifest_file)
        return first, diff
    old = read_manifest(manifest_file)
    rebuilt = build_manifest(
        base, labeling, version=old.version, name=name or old.name, exclude=exclude
    )
    rebuilt = attrs.evolve(rebuilt, skipped=old.skipped if skipped is None else skipped)
    diff = diff_manifests(old, rebuilt)
    if diff.empty and rebuilt.skipped == old.skipped and rebuilt.name == old.name:
        return old, diff
    new = attrs.evolve(rebuilt, version=bump_version(old.version, part))
    append_changelog(changelog_file, changelog_entry(new.version, diff, date, note), new.version)
    write_manifest(new, manifest_file)
    return new, diff


def _excluded_names(base: Path, *files: Path) -> list[str]:
    names = [MANIFEST_NAME, CHANGELOG_NAME]
    for file in files:
        try:
            names.append(file.resolve().relative_to(base.resolve()).as_posix())
        except ValueError:
            continue
    return names


def manifest_dict(manifest: Manifest) -> dict[str, Any]:
    """The JSON-ready form of a manifest."""
    data: dict[str, Any] = unstructure(manifest)
    return data


__all__ = [
    "SCHEMA",
    "ChangedFile",
    "Label",
    "Labeling",
    "Manifest",
    "ManifestDiff",
    "ManifestEntry",
    "SkippedFile",
    "VerifyReport",
    "build_manifest",
    "bump_version",
    "diff_manifests",
    "read_manifest",
    "update_manifest",
    "verify_manifest",
    "write_manifest",
]
