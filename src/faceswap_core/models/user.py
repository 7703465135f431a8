"""Your own model files, registered by name: ``user-models.json`` in the store.

The catalog knows the models faceswap ships or downloads. A model you made
(``faceswap export onnx``) or received has no entry there, so ``faceswap
models add NAME FILE --type onnx`` creates one: the file is copied to
``user/NAME.onnx`` in the store and its entry (kind, the component that loads
it, the SHA-256 pinned at that moment, where it came from) is written here.
From then on ``--model-path NAME`` finds it, and every use re-verifies it
against the pinned hash, like a catalog model.

The file is written by this module, but a store folder can be shared or
edited by hand, so entries are checked when read: an entry that does not
make a valid spec is skipped with a warning naming it.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import attrs

from faceswap_core.errors import FaceswapWarning
from faceswap_core.io.atomic import atomic_write_json
from faceswap_core.models.catalog import MODEL_KINDS, ModelSpec

USER_FILE = "user-models.json"
USER_VERSION = 1
USER_DIR = "user"
OWN_LICENSE = "your own"


class UserCatalogWarning(FaceswapWarning):
    """An entry of ``user-models.json`` is not usable and was skipped."""


def user_file_name(name: str, source: Path) -> str:
    """Where your model ``name`` lives in the store: ``user/NAME.SUFFIX``."""
    suffix = source.suffix.lower() if source.suffix else ""
    return f"{USER_DIR}/{name}{suffix}"


def own_spec(
    name: str,
    *,
    file: str,
    kind: str,
    loader: str,
    sha256: str,
    size: int,
    license: str = OWN_LICENSE,
    notes: str = "",
) -> ModelSpec:
    """A spec for your own model; raises ``ValueError`` for a bad name, kind, file or hash."""
    if kind not in MODEL_KINDS:
        raise ValueError(f"kind must be one of {', '.join(MODEL_KINDS)}, got {kind!r}")
    relative = PurePosixPath(file)
    if relative.is_absolute() or ".." in relative.parts or relative.parts[:1] != (USER_DIR,):
        raise ValueError(f"file must lie under {USER_DIR}/ in the store, got {file!r}")
    if not loader or not isinstance(loader, str):
        raise ValueError("loader must name the component that loads the file")
    return ModelSpec(
        name=name,
        file=file,
        kind=kind,  # checked against MODEL_KINDS above
        license=license,
        sha256=sha256,
        size=size,
        loader=loader,
        notes=notes,
    )


class UserCatalog:
    """Read and write ``user-models.json`` (atomically) in a store folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def path(self) -> Path:
        return self.root / USER_FILE

    def _raw(self) -> dict[str, Any]:
        data: Any = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            pass  # nobody added a model of their own yet
        except (OSError, ValueError) as exc:
            warnings.warn(
                f"{self.path} is unreadable ({exc}); your own models are not listed until "
                "it is fixed or removed",
                UserCatalogWarning,
                stacklevel=3,
            )
        models = data.get("models") if isinstance(data, dict) else None
        return models if isinstance(models, dict) else {}

    def specs(self) -> list[ModelSpec]:
        """Every valid entry; invalid ones are skipped with a :class:`UserCatalogWarning`."""
        found: list[ModelSpec] = []
        for name, entry in self._raw().items():
            try:
                if not isinstance(entry, Mapping):
                    raise ValueError("the entry is not an object")
                found.append(
                    own_spec(
                        str(name),
                        file=str(entry["file"]),
                        kind=str(entry["kind"]),
                        loader=str(entry["loader"]),
                        sha256=str(entry["sha256"]),
                        size=int(entry["size"]),
                        license=str(entry.get("license", OWN_LICENSE)),
                        notes=str(entry.get("notes", "")),
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                warnings.warn(
                    f"{self.path}: skipped model {name!r}: {exc}", UserCatalogWarning, stacklevel=3
                )
        return found

    def save(self, spec: ModelSpec) -> None:
        """Add or replace ``spec``'s entry (the rest of the file is kept)."""
        models = self._raw()
        models[spec.name] = {
            key: value
            for key, value in attrs.asdict(spec).items()
            if key in ("file", "kind", "loader", "sha256", "size", "license", "notes")
        }
        atomic_write_json(self.path, {"version": USER_VERSION, "models": models})

    def remove(self, name: str) -> None:
        models = self._raw()
        if models.pop(name, None) is not None:
            atomic_write_json(self.path, {"version": USER_VERSION, "models": models})


__all__ = [
    "OWN_LICENSE",
    "USER_DIR",
    "USER_FILE",
    "UserCatalog",
    "UserCatalogWarning",
    "own_spec",
    "user_file_name",
]
