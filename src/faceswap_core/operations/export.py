"""``export NAME``: one operation per registered exporter; its spec is the exporter's config class.

An exporter declares its options once, as the fields of its config class
(``:ivar name:`` lines are the help; a field may declare a
:class:`~faceswap_core.operations.fields.Surface` for a short flag or old
spellings, as ``output`` does). ``faceswap export NAME`` and
``faceswap.export(NAME, **options)`` are made from it.
"""

from __future__ import annotations

from faceswap_core.operations.operation import Operation

EXPORT_CLI_ONLY: tuple[str, ...] = ("json",)
"""What ``faceswap export NAME`` adds to the exporter's options: ``--json`` (JSON Lines)."""

EXPORT_API = "export"
"""``faceswap.export(format, **options)`` runs every exporter."""


def export_operation(name: str, config: type, plugin: str) -> Operation:
    """``faceswap export NAME``: the options are the fields of the exporter's config class."""
    return Operation(
        f"export {name}",
        config,
        cli=("export", name),
        api=EXPORT_API,
        distribution=plugin,
        derived=True,
    )


__all__ = ["EXPORT_API", "EXPORT_CLI_ONLY", "export_operation"]
