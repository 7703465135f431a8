"""Plugin loading and the typed wrapper around pluggy's hooks.

Callers never touch ``pm.hook.*``: they ask :class:`FaceswapPlugins` for a
registry of one kind (``plugins.detectors()`` or ``plugins.registry(DETECTOR)``)
or to build a component from a config reference (``plugins.build(DETECTOR,
{"type": "retinaface"}, context=...)``). Loading is our own loop over
``importlib.metadata`` entry points so that one broken plugin is reported and
skipped instead of taking the whole CLI down.
"""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import os
import re
import types
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

import attrs
import pluggy

from faceswap_core.config.convert import structure
from faceswap_core.config.sections import CORE_SECTIONS, set_section_provider
from faceswap_core.errors import ComponentClashError, ConfigError, FaceswapWarning, PluginError
from faceswap_core.interfaces import (
    AlignmentTemplate,
    Dataset,
    Detector,
    Enhancer,
    Exporter,
    Landmarker,
    Loss,
    Masker,
    Metric,
    Recognizer,
    Runner,
    Runtime,
    Swapper,
)
from faceswap_core.plugin import hookspecs
from faceswap_core.plugin.context import BuildContext, ComponentRef
from faceswap_core.plugin.directory import hint_for
from faceswap_core.plugin.kinds import (
    ALIGNMENT_TEMPLATE,
    COMMANDS_HOOK,
    CONFIG_SECTIONS_HOOK,
    DATASET,
    DETECTOR,
    ENHANCER,
    EXPORTER,
    HOOK_NAMES,
    KINDS,
    LANDMARKER,
    LOSS,
    MASKER,
    METRIC,
    OPERATIONS_HOOK,
    RECOGNIZER,
    RUNNER,
    RUNTIME,
    SWAPPER,
    Kind,
    kind_named,
)
from faceswap_core.plugin.registry import Component, Registry

if TYPE_CHECKING:
    import click

T = TypeVar("T")

ENTRY_POINT_GROUP = "faceswap"
STRICT_ENV = "FACESWAP_STRICT_PLUGINS"
LOAD_ENV = "FACESWAP_LOAD_PLUGINS"
CORE_DISTRIBUTION = "faceswap-core"

# Core's own components register through the same hooks as any plugin, each
# from the thin hooks module of the sub-package that implements them.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "faceswap_core.swappers.hooks",
    "faceswap_core.maskers.hooks",
    "faceswap_core.enhancers.hooks",
    "faceswap_core.runtime.hooks",
    "faceswap_core.eval.hooks",
    "faceswap_core.pipeline.hooks",
    "faceswap_core.vision.hooks",
)


class PluginWarning(FaceswapWarning, RuntimeWarning):
    """A plugin was skipped or misbehaved; the rest keeps working (strict mode raises instead)."""


@attrs.frozen
class PluginRecord:
    """What ``faceswap plugins`` reports for one plugin distribution."""

    name: str
    version: str | None
    entry_point: str | None
    builtin: bool
    error: str | None = None


class _HookFailedError(Exception):
    """A plugin's hook raised while core called it; carries the plugin's name."""

    def __init__(self, plugin: str, hook: str, error: BaseException) -> None:
        super().__init__(f"{hook} raised {type(error).__name__}: {error}")
        self.plugin = plugin
        self.hook = hook
        self.error = error


def _strict_from_env() -> bool:
    return os.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def normalise_name(name: str) -> str:
    """A distribution name in PEP 503 form, so ``faceswap_foo`` selects ``faceswap-foo``."""
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def selected_distributions(value: str | None) -> frozenset[str] | None:
    """Parse ``FACESWAP_LOAD_PLUGINS``: ``None`` means all, an empty set means none."""
    if value is None:
        return None
    return frozenset(normalise_name(part) for part in value.split(",") if part.strip())


class FaceswapPlugins:
    """A plugin manager with one typed method per hook.

    :param load_entry_points: discover installed plugins (entry-point group ``faceswap``).
    :param default_plugins: module names of built-in plugins registered first.
    :param strict: raise on a broken plugin instead of reporting it; defaults to
        ``FACESWAP_STRICT_PLUGINS``.
    :param only: load only these distributions; defaults to ``FACESWAP_LOAD_PLUGINS``
        (unset: all, empty: none, ``a,b``: those).
    """

    def __init__(
        self,
        *,
        load_entry_points: bool = True,
        default_plugins: Iterable[str] = DEFAULT_PLUGINS,
        strict: bool | None = None,
        only: Iterable[str] | None = None,
    ) -> None:
        self.strict = _strict_from_env() if strict is None else strict
        self.pm = pluggy.PluginManager("faceswap")
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self._registries: dict[str, Registry[Any]] = {}
        self._sections: dict[str, tuple[type[Any], str]] | None = None
        self._operations: list[tuple[Any, str]] | None = None
        self.command_owners: dict[str, str] = {}
        """``{command: distribution}`` of the commands plugins added (``add_commands``)."""
        builtins = list(default_plugins)
        if builtins:
            self._register_checked(
                _combined(builtins), CORE_DISTRIBUTION, builtin=True, entry_point=None, strict=True
            )
        if load_entry_points:
            selection = (
                selected_distributions(os.environ.get(LOAD_ENV))
                if only is None
                else frozenset(normalise_name(name) for name in only)
            )
            self.load_entry_points(selection)

    # -- loading -------------------------------------------------------------

    def load_entry_points(self, selection: frozenset[str] | None = None) -> None:
        """Import and register every selected ``faceswap`` entry point, each in isolation.

        :param selection: normalised distribution names to load; ``None`` loads all.
        """
        found: set[str] = set()
        for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = entry_point.dist
            dist_name = dist.name if dist is not None else entry_point.name
            found.add(normalise_name(dist_name))
            if selection is not None and normalise_name(dist_name) not in selection:
                continue
            # One distribution may declare several entry points; the first keeps its name.
            name = dist_name
            if name in self.records or self.pm.has_plugin(name):
                name = f"{dist_name}:{entry_point.name}"
            version = dist.version if dist is not None else None
            target = f"{entry_point.name} = {entry_point.value}"
            try:
                module = entry_point.load()
            except Exception as exc:  # a plugin's import failure must not be fatal
                self._fail(name, version, target, f"import failed: {type(exc).__name__}: {exc}")
                continue
            self._register_checked(module, name, builtin=False, entry_point=target, version=version)
        missing = sorted((selection or frozenset()) - found)
        if missing:
            message = (
                f"plugin selection ({LOAD_ENV} or only=) names {', '.join(missing)}, which "
                f"is not installed as a '{ENTRY_POINT_GROUP}' plugin; "
                "check the spelling or pip install it"
            )
            if self.strict:
                raise PluginError(message)
            warnings.warn(message, PluginWarning, stacklevel=2)

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register an in-process plugin object or module (tests, applications).

        Always strict: a caller that registers a plugin explicitly wants to know
        when it is broken.
        """
        plugin_name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        if plugin_name in self.records or self.pm.has_plugin(plugin_name):
            raise PluginError(
                f"plugin name {plugin_name!r} is already registered; pass another name="
            )
        self._register_checked(plugin, plugin_name, builtin=False, entry_point=None, strict=True)
        return plugin_name

    def unregister(self, name: str) -> None:
        """Remove a plugin and its components; unknown names are ignored."""
        if self.pm.has_plugin(name):
            self.pm.unregister(name=name)
        self.records.pop(name, None)
        self._forget()

    def _register_checked(
        self,
        plugin: object,
        name: str,
        *,
        builtin: bool,
        entry_point: str | None,
        version: str | None = None,
        strict: bool | None = None,
    ) -> None:
        if version is None and builtin:
            version = _distribution_version(CORE_DISTRIBUTION)
        try:
            self.pm.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            # ValueError: name or object already registered; PluginValidationError:
            # a hookimpl asks for an argument its hook does not have.
            self._fail(name, version, entry_point, f"registration failed: {exc}", strict=strict)
            return
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(name=name)
            self._fail(name, version, entry_point, f"{exc}", strict=strict)
            return
        self.records[name] = PluginRecord(name, version, entry_point, builtin)
        self._forget()

    def _fail(
        self,
        name: str,
        version: str | None,
        entry_point: str | None,
        error: str,
        *,
        strict: bool | None = None,
    ) -> None:
        message = f"plugin {name} was not loaded: {error}"
        if self.strict if strict is None else strict:
            raise PluginError(message)
        warnings.warn(message, PluginWarning, stacklevel=3)
        self.records[name] = PluginRecord(name, version, entry_point, False, error)

    def _drop(self, failure: _HookFailedError) -> None:
        """Unload a plugin whose hook raised, keeping its record with the error."""
        message = f"plugin {failure.plugin} was dropped: {failure}"
        if self.strict:
            raise PluginError(message) from failure.error
        warnings.warn(message, PluginWarning, stacklevel=4)
        record = self.records.get(failure.plugin)
        if self.pm.has_plugin(failure.plugin):
            self.pm.unregister(name=failure.plugin)
        if record is not None:
            self.records[failure.plugin] = attrs.evolve(record, error=str(failure))
        self._forget()

    def _forget(self) -> None:
        """Drop everything collected from hooks (a plugin came or went)."""
        self._registries.clear()
        self._sections = None
        self._operations = None

    # -- typed hook wrappers ---------------------------------------------------

    def _collect(self, kind: Kind[T]) -> Registry[T]:
        registry: Registry[T] = Registry(kind, hint=self._hint)
        hook = getattr(self.pm.hook, kind.hook)
        # Walk implementations ourselves (first registered first) so each
        # component records its plugin and one raising plugin can be dropped.
        for impl in hook.get_hookimpls():
            added: list[tuple[str, Callable[[Any, Any], T], type[Any] | None]] = []

            def register(
                name: str,
                factory: Callable[[Any, Any], T],
                *,
                config: type[Any] | None = None,
                _added: list[tuple[str, Callable[[Any, Any], T], type[Any] | None]] = added,
            ) -> None:
                _added.append((name, factory, config))

            try:
                impl.function(**_arguments(impl, {"register": register}))
            except Exception as exc:
                raise _HookFailedError(impl.plugin_name, kind.hook, exc) from exc
            for name, factory, config in added:
                try:
                    registry.add(name, factory, config=config, plugin=impl.plugin_name)
                except ComponentClashError:
                    raise
                except (TypeError, ValueError) as exc:
                    raise _HookFailedError(impl.plugin_name, kind.hook, exc) from exc
        return registry

    def _hint(self, kind: str, name: str) -> str | None:
        loaded = {record.name: record.error for record in self.records.values()}
        return hint_for(kind, name, loaded=loaded)

    @overload
    def registry(self, kind: Kind[T]) -> Registry[T]: ...

    @overload
    def registry(self, kind: str) -> Registry[Any]: ...

    def registry(self, kind: Kind[Any] | str) -> Registry[Any]:
        """The registry of one component kind, built once per manager."""
        info = kind_named(kind)
        while info.name not in self._registries:
            try:
                self._registries[info.name] = self._collect(info)
            except _HookFailedError as failure:
                self._drop(failure)  # raises in strict mode; otherwise retry without it
        return self._registries[info.name]

    # One typed wrapper per hook; tests check they match faceswap_core.plugin.kinds.KINDS.

    def detectors(self) -> Registry[Detector]:
        return self.registry(DETECTOR)

    def recognizers(self) -> Registry[Recognizer]:
        return self.registry(RECOGNIZER)

    def landmarkers(self) -> Registry[Landmarker]:
        return self.registry(LANDMARKER)

    def alignment_templates(self) -> Registry[AlignmentTemplate]:
        return self.registry(ALIGNMENT_TEMPLATE)

    def swappers(self) -> Registry[Swapper]:
        return self.registry(SWAPPER)

    def maskers(self) -> Registry[Masker]:
        return self.registry(MASKER)

    def enhancers(self) -> Registry[Enhancer]:
        return self.registry(ENHANCER)

    def losses(self) -> Registry[Loss]:
        return self.registry(LOSS)

    def metrics(self) -> Registry[Metric]:
        return self.registry(METRIC)

    def datasets(self) -> Registry[Dataset]:
        return self.registry(DATASET)

    def exporters(self) -> Registry[Exporter]:
        return self.registry(EXPORTER)

    def runtimes(self) -> Registry[Runtime]:
        return self.registry(RUNTIME)

    def runners(self) -> Registry[Runner]:
        return self.registry(RUNNER)

    def add_commands(self, cli: click.Group) -> None:
        """Let every plugin add its subcommands (``register_commands`` hook).

        A plugin may not replace a command that is already there (core's, loaded
        or still lazy, or an earlier plugin's): that is a clash naming both, like
        component names.
        """
        lazy: Mapping[str, str] = getattr(cli, "lazy_commands", {})  # not imported yet
        owners = dict.fromkeys({*cli.commands, *lazy}, CORE_DISTRIBUTION)
        for impl in getattr(self.pm.hook, COMMANDS_HOOK).get_hookimpls():
            before = dict(cli.commands)
            try:
                impl.function(**_arguments(impl, {"cli": cli}))
            except Exception as exc:
                cli.commands.clear()
                cli.commands.update(before)
                message = f"plugin {impl.plugin_name} failed to add commands: {exc}"
                if self.strict:
                    raise PluginError(message) from exc
                warnings.warn(message, PluginWarning, stacklevel=2)
                continue
            for name, command in list(cli.commands.items()):
                replaced = name in before and before[name] is not command
                shadowed = name not in before and owners.get(name) == CORE_DISTRIBUTION
                if replaced or shadowed:
                    if replaced:
                        cli.commands[name] = before[name]
                    else:
                        del cli.commands[name]
                    raise ComponentClashError(
                        f"command {name!r} is registered by both {owners.get(name, '?')} and "
                        f"{impl.plugin_name}; uninstall one of them or select plugins with "
                        f"{LOAD_ENV}"
                    )
                owners.setdefault(name, impl.plugin_name)
                if owners[name] == impl.plugin_name:
                    self.command_owners[name] = impl.plugin_name

    def _extra(self, hook: str, build: Callable[[str, list[Any]], None]) -> None:
        """Run one non-kind hook on every plugin; ``build(plugin, registered)`` takes the
        results. A plugin whose hook raises is dropped (strict mode: raises)."""
        while True:
            try:
                for impl in getattr(self.pm.hook, hook).get_hookimpls():
                    added: list[Any] = []

                    def register(*args: Any, _added: list[Any] = added) -> None:
                        _added.append(args)

                    try:
                        impl.function(**_arguments(impl, {"register": register}))
                    except Exception as exc:
                        raise _HookFailedError(impl.plugin_name, hook, exc) from exc
                    build(impl.plugin_name, added)
                return
            except _HookFailedError as failure:
                self._drop(failure)

    def config_sections(self) -> dict[str, type[Any]]:
        """``{section: config class}`` plugins add to the config schema
        (``register_config_sections``); a clash names both plugins."""
        if self._sections is None:
            found: dict[str, tuple[type[Any], str]] = {}

            def build(plugin: str, added: list[Any]) -> None:
                for name, cls in added:
                    if name in CORE_SECTIONS:
                        raise _HookFailedError(
                            plugin,
                            CONFIG_SECTIONS_HOOK,
                            ValueError(f"config section {name!r} is core's; choose another name"),
                        )
                    if name in found and found[name][1] != plugin:
                        raise ComponentClashError(
                            f"config section {name!r} is registered by both {found[name][1]} "
                            f"and {plugin}; uninstall one of them or select plugins with "
                            f"{LOAD_ENV}"
                        )
                    found[name] = (cls, plugin)

            self._extra(CONFIG_SECTIONS_HOOK, build)
            self._sections = found
        return {name: cls for name, (cls, _) in self._sections.items()}

    def section_owner(self, name: str) -> str | None:
        """The plugin that registered config section ``name``."""
        self.config_sections()
        assert self._sections is not None
        entry = self._sections.get(name)
        return None if entry is None else entry[1]

    def operations(self) -> list[tuple[Any, str]]:
        """``(operation, plugin)`` for every operation plugins declare (``register_operations``)."""
        if self._operations is None:
            found: list[tuple[Any, str]] = []

            def build(plugin: str, added: list[Any]) -> None:
                found.extend((args[0], plugin) for args in added)

            self._extra(OPERATIONS_HOOK, build)
            self._operations = found
        return list(self._operations)

    # -- building -------------------------------------------------------------

    @overload
    def build(
        self, kind: Kind[T], ref: ComponentRef, *, context: BuildContext, path: str | None = None
    ) -> T: ...

    @overload
    def build(
        self, kind: str, ref: ComponentRef, *, context: BuildContext, path: str | None = None
    ) -> Any: ...

    def build(
        self,
        kind: Kind[Any] | str,
        ref: ComponentRef,
        *,
        context: BuildContext,
        path: str | None = None,
    ) -> Any:
        """Create a component from ``NAME`` or ``{type: NAME, **params}``.

        The params are structured into the component's own config class, so a
        typo in a key is an error with its path (``$.detector.scor_threshold``);
        the factory gets that config and ``context``.
        """
        component, config = self.resolve(kind, ref, path=path)
        return component.factory(config, context)

    def resolve(
        self, kind: Kind[Any] | str, ref: ComponentRef, *, path: str | None = None
    ) -> tuple[Component[Any], Any]:
        """Look up a reference and structure its params, without building anything."""
        info = kind_named(kind)
        where = path or f"$.{info.name}"
        if isinstance(ref, str):
            name, params = ref, {}
        elif isinstance(ref, Mapping):
            if "type" not in ref:
                raise ConfigError(f"{where}: missing 'type' (the {info.name} name)")
            params = {k: v for k, v in ref.items() if k != "type"}
            name = ref["type"]
            if not isinstance(name, str):
                raise ConfigError(f"{where}.type: expected str, got {name!r}")
        else:
            raise ConfigError(f"{where}: expected a name or a mapping with 'type', got {ref!r}")
        component = self.registry(info).get(name)
        if component.config is None:
            if params:
                raise ConfigError(
                    f"{where}: {info.name} {name!r} takes no parameters, got {sorted(params)}"
                )
            return component, None
        return component, structure(params, component.config, path=where)

    def plugin_hooks(self, name: str) -> list[str]:
        """Names of the hooks one registered plugin implements."""
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
                result[kind.name] = names
        return result


def _combined(module_names: Iterable[str]) -> object:
    """Core's hooks modules as one plugin named ``faceswap-core`` (one hook per module)."""
    combined = types.SimpleNamespace()
    for module_name in module_names:
        module = importlib.import_module(module_name)
        for hook in HOOK_NAMES:
            implementation = getattr(module, hook, None)
            if implementation is None:
                continue
            if hasattr(combined, hook):
                raise PluginError(f"core implements {hook} twice (again in {module_name})")
            setattr(combined, hook, implementation)
    return combined


def _arguments(impl: Any, available: Mapping[str, Any]) -> dict[str, Any]:
    """Pass a hookimpl only the arguments it declares (pluggy's contract)."""
    return {arg: available[arg] for arg in impl.argnames if arg in available}


def _distribution_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


_current: FaceswapPlugins | None = None


def loaded_distributions(plugins: FaceswapPlugins) -> tuple[str, ...]:
    """The plugin distributions a manager loaded from entry points, sorted.

    A cluster worker loads exactly these (``FaceswapPlugins(only=...)``), so it
    builds the same components as the driver.
    """
    return tuple(
        sorted(
            record.name
            for record in plugins.records.values()
            if not record.builtin and record.entry_point is not None and record.error is None
        )
    )


def _sections_in_use() -> dict[str, type[Any]]:
    return get_plugins().config_sections()


set_section_provider(_sections_in_use)


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
    "CORE_DISTRIBUTION",
    "DEFAULT_PLUGINS",
    "ENTRY_POINT_GROUP",
    "FaceswapPlugins",
    "PluginRecord",
    "PluginWarning",
    "get_plugins",
    "loaded_distributions",
    "normalise_name",
    "selected_distributions",
    "set_plugins",
]
