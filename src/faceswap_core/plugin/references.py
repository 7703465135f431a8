"""Component references inside config trees, checked against the registry.

A config names components as ``{type: NAME, **params}``; this module finds
every such reference (by field metadata or by field name) and checks, without
building anything, that each name is registered and its params structure
into the component's config class (mmengine's two-phase build).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from faceswap_core.errors import ConfigError, FaceswapError
from faceswap_core.plugin.kinds import KIND_NAMES
from faceswap_core.plugin.manager import FaceswapPlugins

COMPONENT_METADATA = "component"
"""attrs field metadata naming the component kind of a ``{type: ...}`` reference."""


def component_refs(config: Any, path: str = "$") -> list[tuple[str, str, Any]]:
    """Every component reference in a config tree as ``(path, kind, ref)``.

    A field is a reference when its metadata names a kind
    (``attrs.field(metadata={"component": "loss"})``, on a ref or a list of
    refs) or when it is named after a kind and holds ``{type: ...}``.
    """
    found: list[tuple[str, str, Any]] = []
    if not attrs.has(type(config)):
        return found
    for field in attrs.fields(type(config)):
        value = getattr(config, field.name)
        where = f"{path}.{field.name}"
        kind = field.metadata.get(COMPONENT_METADATA)
        if kind is None and field.name in KIND_NAMES and isinstance(value, Mapping | str):
            kind = field.name
        if kind is not None:
            if isinstance(value, list | tuple):
                found.extend((f"{where}[{i}]", kind, item) for i, item in enumerate(value))
            elif value is not None:
                found.append((where, kind, value))
        elif attrs.has(type(value)):
            found.extend(component_refs(value, where))
    return found


def validate_components(config: Any, plugins: FaceswapPlugins) -> dict[str, Any]:
    """Check every component reference: the name is registered and its params structure.

    References inside a component's params (a runner's ``losses``) are
    checked too, with their full path. Nothing is built. Returns
    ``{path: structured params}``; raises one :class:`ConfigError` listing
    every problem with its path.
    """
    return validate_refs(component_refs(config), plugins)


def validate_refs(refs: Iterable[tuple[str, str, Any]], plugins: FaceswapPlugins) -> dict[str, Any]:
    """:func:`validate_components` for chosen references (``(path, kind, ref)``)."""
    resolved: dict[str, Any] = {}
    problems: list[str] = []
    pending = list(refs)
    while pending:
        where, kind, ref = pending.pop(0)
        try:
            _, params = plugins.resolve(kind, ref, path=where)
        except ConfigError as exc:
            problems.append(str(exc))
        except FaceswapError as exc:  # unknown component: say where it was named
            problems.append(f"{where}: {exc}")
        else:
            resolved[where] = params
            # A component's own config may name further components (a runner's losses).
            pending.extend(component_refs(params, where))
    if problems:
        raise ConfigError("; ".join(problems))
    return resolved


__all__ = ["COMPONENT_METADATA", "component_refs", "validate_components", "validate_refs"]
