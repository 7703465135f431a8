"""Plugin config sections: a plugin's top-level section joins the one checked schema.

faceswap-rest's ``serve:`` section is as much a part of a config file as
``pipeline:``: ``faceswap config show``, ``--config`` on any command and
``--set serve.port=9000`` check it with the same strict rules (unknown keys,
types, ranges, errors with their path). Plugins register a section through the
``register_config_sections`` hook; the plugin manager hands the sections of
the running manager to this module (:func:`set_section_provider`), so the
config layer never imports the plugin layer.

:func:`experiment_schema` is :class:`~faceswap_core.config.schema.ExperimentConfig`
with one field per registered section (a subclass made once per set of
sections), so every config that is loaded is still an ``ExperimentConfig``.
A plugin section is ``None`` unless the file (or ``--set``) gives it, so a
config that does not mention ``serve:`` does not grow one when it is dumped
(:func:`~faceswap_core.config.loader.dump_config`); :func:`section` gives its
defaults then.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from faceswap_core.config.schema import ExperimentConfig
from faceswap_core.errors import ConfigError

PLUGIN_SECTION = "plugin_section"
"""Metadata key marking a schema field that a plugin's section added."""

SectionProvider = Callable[[], Mapping[str, type[Any]]]
"""Returns ``{section name: attrs config class}`` of the plugins in use."""

_provider: list[SectionProvider] = []

CORE_SECTIONS: frozenset[str] = frozenset(field.name for field in attrs.fields(ExperimentConfig))
"""Top-level keys of the core schema; a plugin section may not reuse one."""


def set_section_provider(provider: SectionProvider | None) -> None:
    """Where :func:`registered_sections` asks for the plugins' sections (the plugin manager)."""
    _provider.clear()
    if provider is not None:
        _provider.append(provider)


def registered_sections() -> dict[str, type[Any]]:
    """``{name: config class}`` of every plugin section in use (none without a provider)."""
    if not _provider:
        return {}
    sections = dict(_provider[0]())
    for name, cls in sections.items():
        if name in CORE_SECTIONS:
            raise ConfigError(f"a plugin registers config section {name!r}, a core section")
        if not attrs.has(cls):
            raise ConfigError(f"config section {name!r} must be an attrs class, got {cls!r}")
    return sections


@functools.cache
def _schema(sections: tuple[tuple[str, type[Any]], ...]) -> type[ExperimentConfig]:
    if not sections:
        return ExperimentConfig
    attributes = {
        name: attrs.field(
            default=None,
            type=cls | None,  # type: ignore[arg-type]  # attrs accepts any annotation
            metadata={PLUGIN_SECTION: True},
        )
        for name, cls in sections
    }
    schema = attrs.make_class(
        "ExperimentConfig",
        attributes,
        bases=(ExperimentConfig,),
        frozen=True,
        slots=True,
    )
    schema.__annotations__ = {name: cls | None for name, cls in sections}
    schema.__doc__ = ExperimentConfig.__doc__
    schema.__module__ = ExperimentConfig.__module__
    return schema


def experiment_schema(sections: Mapping[str, type[Any]] | None = None) -> type[ExperimentConfig]:
    """The experiment schema with the plugin sections (default: those registered)."""
    chosen = registered_sections() if sections is None else dict(sections)
    return _schema(tuple(sorted(chosen.items())))


def section(config: ExperimentConfig, name: str, cls: type[Any]) -> Any:
    """The ``name`` section of a loaded config (its defaults when the schema had none)."""
    found = getattr(config, name, None)
    return found if isinstance(found, cls) else cls()


__all__ = [
    "CORE_SECTIONS",
    "PLUGIN_SECTION",
    "SectionProvider",
    "experiment_schema",
    "registered_sections",
    "section",
    "set_section_provider",
]
