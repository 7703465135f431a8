"""Cross-field rules of specs, and how each surface spells the fields they name.

A spec's ``__attrs_post_init__`` raises :class:`RuleError` with the fields in
braces (``"{faces} reference needs {reference} IMG"``); every surface renders
it in its own spelling: ``--faces reference needs --reference IMG`` on the
command line, ``faces reference needs reference IMG`` in Python and REST. Kept
free of heavy imports: the CLI's error printer uses it at start-up.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from faceswap_core.errors import ConfigError
from faceswap_core.operations.transports import Transport

SURFACE_KEY = "faceswap.surface"
"""The metadata key of a spec field's surface (:data:`faceswap_core.operations.fields.SURFACE`)."""

_NAME = re.compile(r"\{([a-z][a-z0-9_]*)\}")


class RuleError(ConfigError):
    """A cross-field rule of a spec, with the fields' names in braces (``{faces}``).

    Rendered per surface by :func:`build_spec`: ``--faces`` on the command
    line, ``faces`` in Python and REST.
    """

    def __init__(self, template: str) -> None:
        self.template = template
        super().__init__(render_rule(template, "api"))


def render_rule(template: str, transport: Transport, spec: type[Any] | None = None) -> str:
    """``template`` with each ``{field}`` spelled as ``transport`` spells it (``--faces`` on
    the command line, ``faces`` in Python and REST); other braces are left alone."""
    flags: dict[str, str] = {}
    if spec is not None and attrs.has(spec):
        for field in attrs.fields(spec):
            surface = field.metadata.get(SURFACE_KEY)
            if surface is not None:
                flags[field.name] = surface.cli_flag(field.name)

    def name(match: re.Match[str]) -> str:
        key = match.group(1)
        if transport == "cli":
            return flags.get(key, "--" + key.replace("_", "-"))
        return key

    return _NAME.sub(name, template)


__all__ = ["SURFACE_KEY", "RuleError", "render_rule"]
