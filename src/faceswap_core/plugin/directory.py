"""Which distribution provides which component, without importing any plugin.

Plugins declare their components as entry points in the group
``faceswap.components`` (name ``kind:name``, value the hooks module), next
to their ``faceswap`` entry point::

    [project.entry-points."faceswap.components"]
    "detector:retinaface" = "faceswap_retinaface.hooks"

Besides component kinds, a plugin declares the commands it adds
(``"command:serve"``) and the config sections it adds
(``"config_section:serve"``), so ``faceswap serve`` and a ``serve:`` section
without faceswap-rest say what to install instead of "No such command" or
"unknown key".

Installed declarations explain a component that is installed but not
loaded (filtered by ``FACESWAP_LOAD_PLUGINS``, or failed to import). For
plugins that are not installed at all, ``directory.json`` (shipped with
core) lists this project's own distributions and the folder of each in a
checkout; it is generated from their ``pyproject.toml`` files (``nox -s
directory``) and a test keeps it equal to them, so core's code names no
plugin component. Every hint names both ways to install:
``pip install faceswap-rest`` (from an index) and ``pip install
./plugins/faceswap_rest`` (from a checkout of this repository).
"""

from __future__ import annotations

import functools
import importlib.metadata as metadata
import json
import sys
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from faceswap_core.io.atomic import atomic_write_text

COMPONENTS_GROUP = "faceswap.components"
DIRECTORY_FILE = "directory.json"
COMMAND = "command"
"""The declaration kind of a command a plugin adds (``"command:serve"``)."""
CONFIG_SECTION = "config_section"
"""The declaration kind of a config section a plugin adds (``"config_section:serve"``)."""

Declarations = dict[tuple[str, str], str]
"""``{(kind, name): distribution}``."""


def _parse(entry_name: str) -> tuple[str, str] | None:
    kind, sep, name = entry_name.partition(":")
    return (kind.strip(), name.strip()) if sep and kind.strip() and name.strip() else None


def installed_declarations() -> Declarations:
    """Components declared by installed distributions (read from metadata, no imports)."""
    found: Declarations = {}
    for entry_point in metadata.entry_points(group=COMPONENTS_GROUP):
        key = _parse(entry_point.name)
        dist = entry_point.dist
        if key is not None and dist is not None:
            found.setdefault(key, dist.name)
    return found


@functools.cache
def _directory() -> dict[str, Any]:
    text = resources.files(__package__).joinpath(DIRECTORY_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def known_declarations() -> Declarations:
    """Components of this project's distributions, from the shipped ``directory.json``."""
    return {
        (kind, name): dist
        for dist, kinds in _directory()["distributions"].items()
        for kind, names in kinds.items()
        for name in names
    }


def checkout_path(distribution: str) -> str | None:
    """``./plugins/faceswap_rest``: where this project's distribution is in a checkout."""
    folder = _directory().get("paths", {}).get(distribution)
    return None if folder is None else f"./{folder}"


def install_hint(distribution: str) -> str:
    """``pip install faceswap-rest (from a checkout: pip install ./plugins/faceswap_rest)``.

    The checkout folder is known for this project's own distributions only.
    """
    folder = checkout_path(distribution)
    if folder is None:
        return f"pip install {distribution}"
    return f"pip install {distribution} (from a checkout: pip install {folder})"


def provider_of(kind: str, name: str) -> str | None:
    """The distribution that declares ``kind:name``, installed or known; ``None`` if none."""
    return installed_declarations().get((kind, name)) or known_declarations().get((kind, name))


def directory_from_pyprojects(paths: Iterable[Path]) -> dict[str, Any]:
    """The ``directory.json`` body declared by the given plugin ``pyproject.toml`` files:
    what each distribution declares, and its folder in a checkout (``plugins/NAME``)."""
    distributions: dict[str, dict[str, list[str]]] = {}
    folders: dict[str, str] = {}
    for path in sorted(paths):
        project = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
        entries = project.get("entry-points", {}).get(COMPONENTS_GROUP, {})
        kinds: dict[str, list[str]] = {}
        for entry_name in entries:
            key = _parse(entry_name)
            if key is None:
                raise ValueError(f"{path}: entry point {entry_name!r} is not 'kind:name'")
            kinds.setdefault(key[0], []).append(key[1])
        distributions[project["name"]] = {
            kind: sorted(names) for kind, names in sorted(kinds.items())
        }
        folder = path.resolve().parent
        folders[project["name"]] = f"{folder.parent.name}/{folder.name}"
    return {"distributions": distributions, "paths": folders}


def hint_for(
    kind: str,
    name: str,
    *,
    loaded: Mapping[str, str | None],
    installed: Declarations | None = None,
) -> str | None:
    """One sentence on how to get a missing component, or ``None`` when nobody declares it.

    :param loaded: ``{distribution: error or None}`` of the plugins the manager knows.
    :param installed: declarations of installed distributions (default: read them).
    """
    declared = installed_declarations() if installed is None else installed
    dist = declared.get((kind, name))
    if dist is not None:
        if dist in loaded:
            error = loaded[dist]
            if error:
                return f"It comes from {dist}, which failed to load: {error}"
            return f"{dist} declares it but did not register it; reinstall {dist}."
        return (
            f"It comes from {dist}, which is installed but not loaded; "
            f"add it to FACESWAP_LOAD_PLUGINS or unset that variable."
        )
    dist = known_declarations().get((kind, name))
    if dist is not None:
        return f"Install it with: {install_hint(dist)}"
    return None


def main(argv: list[str] | None = None) -> int:
    """``python -m faceswap_core.plugin.directory OUT PYPROJECT...``: regenerate the directory."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        print("usage: python -m faceswap_core.plugin.directory OUT PYPROJECT...", file=sys.stderr)
        return 2
    body = directory_from_pyprojects(Path(arg) for arg in args[1:])
    atomic_write_text(args[0], json.dumps(body, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = [
    "COMMAND",
    "COMPONENTS_GROUP",
    "CONFIG_SECTION",
    "checkout_path",
    "directory_from_pyprojects",
    "hint_for",
    "install_hint",
    "installed_declarations",
    "known_declarations",
    "provider_of",
]
