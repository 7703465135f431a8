"""Plugin loading and the typed wrapper around pluggy's hooks.

Callers never touch ``pm.hook.*``: they ask :class:`FaceswapPlugins` for a
registry of one kind (``plugins.registry("detector")``) or to build a
component from a config reference (``plugins.build("detector", {"type":
"retinaface"})``). Loading is our own loop over ``importlib.metadata`` entry
points so that one broken plugin is reported and skipped instead of taking the
whole CLI down.
"""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from faceswap_core import hookspecs
from faceswap_core.errors import ConfigError, PluginError
from faceswap_core.registry import KINDS, Component, Registry

if TYPE_CHECKING:
    import click

ENTRY_POINT_GROUP = "faceswap"
STRICT_ENV = "FACESWAP_STRICT_PLUGINS"
LOAD_ENV = "FACESWAP_LOAD_PLUGINS"
CORE_DISTRIBUTION = "faceswap-core"

# Core's own components register through the same hooks as any plugin.
DEFAULT_PLUGINS: tuple[str, ...] = ("faceswap_core.builtins",)

HOOK_FOR_KIND: dict[str, str] = {
    "detector": "register_detectors",
    "recognizer": "register_recognizers",
    "landmarker": "register_landmarkers",
    "swapper": "register_swappers",
    "loss": "register_losses",
    "metric": "register_metrics",
    "dataset": "register_datasets",
    "exporter": "register_exporters",
    "runtime": "register_runtimes",
    "runner": "register_runners",
}


@attrs.frozen
class PluginRecord:
    """What ``faceswap plugins`` reports for one plugin distribution."""

    name: str
    version: str | None
    entry_point: str | None
    builtin: bool
    error: str | None = None


def _strict_from_env() -> bool:
    return os.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def _selected_distributions() -> set[str] | None:
    """``None`` means all; an empty set means none (``FACESWAP_LOAD_PLUGINS=""``)."""
    value = os.environ.get(LOAD_ENV)
    if value is None:
        return None
    return {_normalise(part) for part in value.split(",") if part.strip()}


def _normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(".", "-")


class FaceswapPlugins:
    """A plugin manager with one typed method per hook.

    :param load_entry_points: discover installed plugins (entry-point group ``faceswap``).
    :param default_plugins: module names of built-in plugins registered first.
    :param strict: raise on a broken plugin instead of reporting it; defaults to
        ``FACESWAP_STRICT_PLUGINS``.
    """

    def __init__(
        self,
        *,
        load_entry_points: bool = True,
        default_plugins: Iterable[str] = DEFAULT_PLUGINS,
        strict: bool | None = None,
    ) -> None:
        self.strict = _strict_from_env() if strict is None else strict
        self.pm = pluggy.PluginManager("faceswap")
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self._registries: dict[str, Registry[Any]] = {}
        for module_name in default_plugins:
            module = importlib.import_module(module_name)
            self._register_checked(module, CORE_DISTRIBUTION, builtin=True, entry_point=None)
        if load_entry_points:
            self.load_entry_points()

    # -- loading -------------------------------------------------------------

    def load_entry_points(self) -> None:
        """Import and register every selected ``faceswap`` entry point, each in isolation."""
        selected = _selected_distributions()
        seen: set[str] = set()
        for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = entry_point.dist
            dist_name = dist.name if dist is not None else entry_point.name
            if selected is not None and _normalise(dist_name) not in selected:
                continue
            key = f"{dist_name}:{entry_point.value}"
            if key in seen:  # the same distribution visible twice on sys.path
                continue
            seen.add(key)
            version = dist.version if dist is not None else None
            target = f"{entry_point.name} = {entry_point.value}"
            try:
                module = entry_point.load()
            except Exception as exc:  # a plugin's import failure must not be fatal
                self._fail(dist_name, version, target, f"import failed: {type(exc).__name__}: {exc}")
                continue
            self._register_checked(
                module, dist_name, builtin=False, entry_point=target, version=version
            )

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register an in-process plugin object or module (tests, applications)."""
        plugin_name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        self._register_checked(plugin, plugin_name, builtin=False, entry_point=None)
        return plugin_name

    def unregister(self, name: str) -> None:
        self.pm.unregister(name=name)
        self.records.pop(name, None)
        self._registries.clear()

    def _register_checked(
        self,
        plugin: object,
        name: str,
        *,
        builtin: bool,
        entry_point: str | None,
        version: str | None = None,
    ) -> None:
        if version is None and builtin:
            version = _distribution_version(CORE_DISTRIBUTION)
        try:
            self.pm.register(plugin, name=name)
        except ValueError as exc:
            self._fail(name, version, entry_point, f"registration failed: {exc}")
            return
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(plugin)
            self._fail(name, version, entry_point, f"unknown hook: {exc}")
            return
        self.records[name] = PluginRecord(name, version, entry_point, builtin)
        self._registries.clear()

    def _fail(self, name: str, version: str | None, entry_point: str | None, error: str) -> None:
        message = f"plugin {name} was not loaded: {error}"
        if self.strict:
            raise PluginError(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        self.records[name] = PluginRecord(name, version, entry_point, False, error)

    # -- typed hook wrappers ---------------------------------------------------

    def _collect(self, kind: str) -> Registry[Any]:
        registry: Registry[Any] = Registry(kind)
        hook = getattr(self.pm.hook, HOOK_FOR_KIND[kind])
        # Walk implementations ourselves so each component records its plugin.
        for impl in reversed(hook.get_hookimpls()):
            plugin_name = impl.plugin_name

            def register(
                name: str,
                factory: Callable[..., Any],
                *,
                config: type[Any] | None = None,
                _plugin: str = plugin_name,
            ) -> None:
                registry.add(name, factory, config=config, plugin=_plugin)

            impl.function(**_arguments(impl, {"register": register}))
        return registry

    def registry(self, kind: str) -> Registry[Any]:
        """The registry of one component kind, built once per manager."""
        if kind not in KINDS:
            raise ConfigError(f"unknown component kind {kind!r}; kinds are {', '.join(KINDS)}")
        if kind not in self._registries:
            self._registries[kind] = self._collect(kind)
        return self._registries[kind]

    def detectors(self) -> Registry[Any]:
        return self.registry("detector")

    def recognizers(self) -> Registry[Any]:
        return self.registry("recognizer")

    def landmarkers(self) -> Registry[Any]:
        return self.registry("landmarker")

    def swappers(self) -> Registry[Any]:
        return self.registry("swapper")

    def losses(self) -> Registry[Any]:
        return self.registry("loss")

    def metrics(self) -> Registry[Any]:
        return self.registry("metric")

    def datasets(self) -> Registry[Any]:
        return self.registry("dataset")

    def exporters(self) -> Registry[Any]:
        return self.registry("exporter")

    def runtimes(self) -> Registry[Any]:
        return self.registry("runtime")

    def runners(self) -> Registry[Any]:
        return self.registry("runner")

    def add_commands(self, cli: click.Group) -> None:
        """Let every plugin add its subcommands (``register_commands`` hook)."""
        for impl in reversed(self.pm.hook.register_commands.get_hookimpls()):
            try:
                impl.function(**_arguments(impl, {"cli": cli}))
            except Exception as exc:
                if self.strict:
                    raise
                warnings.warn(
                    f"plugin {impl.plugin_name} failed to add commands: {exc}",
                    RuntimeWarning,
                    stacklevel=2,
                )

    # -- building -------------------------------------------------------------

    def build(self, kind: str, ref: str | Mapping[str, Any], *, path: str | None = None) -> Any:
        """Create a component from ``NAME`` or ``{type: NAME, **params}``.

        The params are structured into the component's own config class, so a
        typo in a key is an error with its path (``$.detector.scor_threshold``).
        """
        component, config = self.resolve(kind, ref, path=path)
        return component.factory() if component.config is None else component.factory(config)

    def resolve(
        self, kind: str, ref: str | Mapping[str, Any], *, path: str | None = None
    ) -> tuple[Component[Any], Any]:
        """Look up a reference and structure its params, without building anything."""
        from faceswap_core.config import structure

        where = path or f"$.{kind}"
        if isinstance(ref, str):
            name, params = ref, {}
        elif isinstance(ref, Mapping):
            if "type" not in ref:
                raise ConfigError(f"{where}: missing 'type' (the {kind} name)")
            params = {k: v for k, v in ref.items() if k != "type"}
            name = ref["type"]
            if not isinstance(name, str):
                raise ConfigError(f"{where}.type: expected str, got {name!r}")
        else:
            raise ConfigError(f"{where}: expected a name or a mapping with 'type', got {ref!r}")
        component = self.registry(kind).get(name)
        if component.config is None:
            if params:
                raise ConfigError(f"{where}: {kind} {name!r} takes no parameters, got {sorted(params)}")
            return component, None
        return component, structure(params, component.config, path=where)

    def plugin_hooks(self, name: str) -> list[str]:
        plugin = self.pm.get_plugin(name)
        if plugin is None:
            return []
        return sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])

    def components_of(self, name: str) -> dict[str, list[str]]:
        """``{kind: [names]}`` registered by one plugin."""
        result: dict[str, list[str]] = {}
        for kind in KINDS:
            names = [c.name for c in self.registry(kind) if c.plugin == name]
            if names:
                result[kind] = names
        return result


def _arguments(impl: Any, available: Mapping[str, Any]) -> dict[str, Any]:
    """Pass a hookimpl only the arguments it declares (pluggy's contract)."""
    return {arg: available[arg] for arg in impl.argnames if arg in available}


def _distribution_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


_current: FaceswapPlugins | None = None


def get_plugins() -> FaceswapPlugins:
    """The process-wide plugin manager, loaded on first use."""
    global _current
    if _current is None:
        _current = FaceswapPlugins()
    return _current


def set_plugins(plugins: FaceswapPlugins | None) -> FaceswapPlugins | None:
    """Swap the process-wide manager (tests); returns the previous one."""
    global _current
    previous, _current = _current, plugins
    return previous


__all__ = [
    "DEFAULT_PLUGINS",
    "ENTRY_POINT_GROUP",
    "FaceswapPlugins",
    "PluginRecord",
    "get_plugins",
    "set_plugins",
]

