"""Named components of one kind, recording which plugin registered each one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

import attrs

from faceswap_core.errors import ComponentClashError, UnknownComponentError
from faceswap_core.plugin.kinds import Kind, kind_named

T = TypeVar("T")

Factory = Callable[[Any, Any], T]
"""``factory(config, context) -> component``; ``config`` is ``None`` without a config class."""

HintFn = Callable[[str, str], str | None]
"""``hint(kind, name)``: what to install (or why it is not loaded) for a missing component."""


@attrs.frozen
class Component(Generic[T]):
    """One registered component: its factory, its config class and its plugin."""

    kind: str
    name: str
    factory: Factory[T]
    config: type[Any] | None
    plugin: str


class Registry(Generic[T]):
    """Components of one kind, keyed by unique name.

    :param kind: the kind (or its name) this registry holds.
    :param hint: called for an unknown name; its text ends the error message.
    """

    def __init__(self, kind: Kind[T] | str, *, hint: HintFn | None = None) -> None:
        self.kind_info: Kind[Any] = kind_named(kind)
        self.kind = self.kind_info.name
        self._hint = hint
        self._components: dict[str, Component[T]] = {}

    def add(
        self,
        name: str,
        factory: Factory[T],
        *,
        config: type[Any] | None = None,
        plugin: str,
    ) -> Component[T]:
        """Register ``name``; a second registration of the same name is an error naming both."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"{self.kind} names must be non-empty strings, got {name!r}")
        if not callable(factory):
            raise TypeError(f"{self.kind} {name!r} from {plugin}: factory is not callable")
        if config is not None and not isinstance(config, type):
            raise TypeError(f"{self.kind} {name!r} from {plugin}: config must be a class")
        existing = self._components.get(name)
        if existing is not None:
            raise ComponentClashError(
                f"{self.kind} {name!r} is registered by both {existing.plugin} and {plugin}; "
                f"uninstall one of them or select plugins with FACESWAP_LOAD_PLUGINS"
            )
        component = Component(self.kind, name, factory, config, plugin)
        self._components[name] = component
        return component

    def get(self, name: str) -> Component[T]:
        """Look up ``name`` or raise :class:`UnknownComponentError` listing what is available."""
        try:
            return self._components[name]
        except KeyError:
            hint = self._hint(self.kind, name) if self._hint is not None else None
            raise UnknownComponentError(self.kind, name, self.names(), hint) from None

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._components)

    def __contains__(self, name: object) -> bool:
        return name in self._components

    def __iter__(self) -> Iterator[Component[T]]:
        return iter(self._components[name] for name in self.names())

    def __len__(self) -> int:
        return len(self._components)


__all__ = ["Component", "Factory", "HintFn", "Registry"]
