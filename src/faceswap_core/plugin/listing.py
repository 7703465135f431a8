"""What ``faceswap plugins`` prints, and what every work_dir records in ``plugins.json``."""

from __future__ import annotations

from typing import Any

from faceswap_core.plugin.manager import FaceswapPlugins


def plugin_listing(
    manager: FaceswapPlugins, *, include_builtin: bool = False, hook: str | None = None
) -> list[dict[str, Any]]:
    """One JSON-ready row per plugin: name, version, entry point, hooks, components, error."""
    rows: list[dict[str, Any]] = []
    for name in sorted(manager.records):
        record = manager.records[name]
        if record.builtin and not include_builtin:
            continue
        hooks = manager.plugin_hooks(name)
        if hook is not None and hook not in hooks:
            continue
        row: dict[str, Any] = {
            "name": record.name,
            "version": record.version,
            "entry_point": record.entry_point,
            "hooks": hooks,
            "components": manager.components_of(name) if record.error is None else {},
        }
        if record.error is not None:
            row["error"] = record.error
        rows.append(row)
    return rows


__all__ = ["plugin_listing"]
