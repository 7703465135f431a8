"""The ``plugins:`` key of a config: pip requirements checked against what is installed."""

from __future__ import annotations

import importlib.metadata as metadata
from collections.abc import Callable, Iterable

from packaging.requirements import InvalidRequirement, Requirement

from faceswap_core.errors import ConfigError, MissingPluginError
from faceswap_core.plugin.directory import checkout_path


def parse_requirement(text: str, *, path: str = "$.plugins") -> Requirement:
    """Parse one ``plugins:`` entry (a pip requirement such as ``faceswap-unet>=0.1``)."""
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        reason = " ".join(str(exc).split())
        raise ConfigError(
            f"{path}: expected a requirement such as 'faceswap-unet>=0.1', got {text!r} ({reason})"
        ) from None


def check_plugin_requirements(
    requirements: Iterable[str],
    *,
    versions: Callable[[str], str | None] | None = None,
) -> None:
    """Raise :class:`MissingPluginError` for requirements no installed distribution meets.

    :param versions: name -> installed version or ``None``; defaults to
        ``importlib.metadata``.
    """
    lookup = versions or _installed_version
    problems: list[str] = []
    wanted: list[str] = []
    folders: list[str] = []
    for index, text in enumerate(requirements):
        requirement = parse_requirement(text, path=f"$.plugins[{index}]")
        installed = lookup(requirement.name)
        if installed is None:
            problems.append(f"{text} (not installed)")
        elif requirement.specifier and not requirement.specifier.contains(
            installed, prereleases=True
        ):
            problems.append(f"{text} ({installed} installed)")
        else:
            continue
        wanted.append(f"'{text}'" if any(c in text for c in "<>=!~;[ ") else text)
        folder = checkout_path(requirement.name)
        if folder is not None:
            folders.append(folder)
    if problems:
        checkout = f" (from a checkout: pip install {' '.join(folders)})" if folders else ""
        raise MissingPluginError(
            f"Missing required plugins: {', '.join(problems)}. "
            f"Install them with: pip install {' '.join(wanted)}{checkout}"
        )


def _installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


__all__ = ["check_plugin_requirements", "parse_requirement"]
