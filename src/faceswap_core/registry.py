"""Named components per kind, recording which plugin registered each one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

import attrs

from faceswap_core.errors import ComponentClashError, UnknownComponentError

T = TypeVar("T")

KINDS: tuple[str, ...] = (
    "detector",
    "recognizer",
    "landmarker",
    "swapper",
    "loss",
    "metric",
    "dataset",
    "exporter",
    "runtime",
    "runner",
)

# Which of our own distributions provides a component that is not installed,
# so an unknown-name error can say what to install.
KNOWN_PROVIDERS: dict[tuple[str, str], str] = {
    ("detector", "retinaface"): "faceswap-retinaface",
    ("detector", "insightface"): "faceswap-retinaface",
    ("recognizer", "dlib"): "faceswap-retinaface",
    ("recognizer", "arcface"): "faceswap-retinaface",
    ("landmarker", "dlib68"): "faceswap-retinaface",
    ("landmarker", "dlib5"): "faceswap-retinaface",
    ("swapper", "unet"): "faceswap-unet",
    ("loss", "identity"): "faceswap-unet",
    ("loss", "adversarial"): "faceswap-unet",
    ("loss", "reconstruction"): "faceswap-unet",
    ("dataset", "lfw"): "faceswap-unet",
    ("exporter", "onnx"): "faceswap-unet",
    ("runner", "train"): "faceswap-unet",
    ("runtime", "tensorrt"): "faceswap-trt",
    ("exporter", "tensorrt"): "faceswap-trt",
}


@attrs.frozen
class Component(Generic[T]):
    """One registered component: its factory, its config class and its plugin."""

    kind: str
    name: str
    factory: Callable[..., T]
    config: type[Any] | None
    plugin: str


class Registry(Generic[T]):
    """Components of one kind, keyed by unique name."""

    def __init__(self, kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown component kind {kind!r}; kinds are {', '.join(KINDS)}")
        self.kind = kind
        self._components: dict[str, Component[T]] = {}

    def add(
        self,
        name: str,
        factory: Callable[..., T],
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
            hint = KNOWN_PROVIDERS.get((self.kind, name))
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
