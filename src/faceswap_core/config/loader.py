"""Config files: YAML read safely, ``_base_`` inheritance, and the typed experiment config.

A config file is YAML (PyYAML's safe loader, duplicate keys refused) whose top
level is a mapping. ``_base_: other.yaml`` (or a list of files) inherits from
files relative to it, deep-merged, later files winning; ``_delete_: true`` in
a mapping replaces the inherited one instead of merging. The merged data, with
``--set`` overrides applied, is structured into
:class:`~faceswap_core.config.schema.ExperimentConfig`.

Configs are named by path or by the name of a shipped config
(:func:`resolve_config`): ``faceswap.load("baseline")``, ``--config smoke``.
The shipped configs are ``configs/face_swap/*.yaml`` at the repository root,
packaged into the wheel as ``faceswap_core/configs/face_swap/``.
"""

from __future__ import annotations

import importlib.resources
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml

from faceswap_core.config.convert import structure, unstructure
from faceswap_core.config.overrides import apply_overrides
from faceswap_core.config.requirements import check_plugin_requirements
from faceswap_core.config.schema import ExperimentConfig, PipelineConfig
from faceswap_core.config.sections import PLUGIN_SECTION, experiment_schema
from faceswap_core.config.yaml_safe import parse_yaml, read_yaml
from faceswap_core.errors import ConfigError, MissingPluginError
from faceswap_core.plugin.directory import CONFIG_SECTION, install_hint, provider_of

BASE_KEY = "_base_"
DELETE_KEY = "_delete_"

SHIPPED_FOLDER = ("configs", "face_swap")
"""Where shipped configs live: in the installed package and at the repository root."""

CONFIG_SUFFIXES = (".yaml", ".yml")

_COMPONENT_SECTIONS = ("detector", "recognizer", "landmarker", "swapper", "runtime")
"""Pipeline fields that hold a ``{type: NAME, **params}`` reference."""


def shipped_config_folders() -> list[Path]:
    """Folders searched for a config given by name, in order.

    The installed package data first; then, for a source checkout or an
    editable install (which does not get the wheel's package data), the
    repository's own ``configs/face_swap``.
    """
    folders: list[Path] = []
    packaged = Path(str(importlib.resources.files("faceswap_core"))).joinpath(*SHIPPED_FOLDER)
    if packaged.is_dir():
        folders.append(packaged)
    here = Path(__file__).resolve()
    root = here.parents[3]
    checkout = root.joinpath(*SHIPPED_FOLDER)
    if here.parents[2].name == "src" and (root / "pyproject.toml").is_file() and checkout.is_dir():
        folders.append(checkout)
    return folders


def shipped_config_names() -> list[str]:
    """Names of the shipped configs (``baseline``, ``smoke``...), sorted."""
    names = {
        path.stem
        for folder in shipped_config_folders()
        for path in folder.iterdir()
        if path.suffix in CONFIG_SUFFIXES and path.is_file()
    }
    return sorted(names)


def _is_bare_name(text: str) -> bool:
    return bool(text) and "/" not in text and os.sep not in text and text not in (".", "..")


def resolve_config(name_or_path: str | Path) -> Path:
    """The config file meant by a path or by the name of a shipped config.

    An existing path wins. Otherwise a bare name (``baseline``, ``smoke.yaml``)
    is looked up in :func:`shipped_config_folders`. Anything else is returned
    as given, so reading it reports the missing file.
    """
    path = Path(name_or_path).expanduser()
    if path.exists():
        return path
    text = str(name_or_path)
    if not _is_bare_name(text):
        return path
    stem = text[: -len(path.suffix)] if path.suffix in CONFIG_SUFFIXES else text
    for folder in shipped_config_folders():
        for suffix in CONFIG_SUFFIXES:
            candidate = folder / f"{stem}{suffix}"
            if candidate.is_file():
                return candidate
    known = ", ".join(shipped_config_names()) or "none installed"
    raise ConfigError(
        f"config file not found: {text} is neither a file nor a shipped config "
        f"(shipped: {known}); pass the path of a YAML file"
    )


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into a copy of ``base``: mappings recursively, anything else replaced.

    A mapping with ``_delete_: true`` replaces the base mapping instead of merging into it.
    """
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and value.get(DELETE_KEY) is True:
            merged[key] = {k: v for k, v in value.items() if k != DELETE_KEY}
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _strip_delete(data: Any) -> Any:
    if isinstance(data, Mapping):
        return {k: _strip_delete(v) for k, v in data.items() if k != DELETE_KEY}
    return data


def load_raw(path: str | Path) -> dict[str, Any]:
    """Read a config file (a path or a shipped config's name) with its ``_base_`` chain merged."""
    return _strip_delete(_load_with_bases(resolve_config(path), ()))  # type: ignore[no-any-return]


def _load_with_bases(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(str(p) for p in (*chain, resolved))
        raise ConfigError(f"config inheritance cycle: {cycle}; remove one of the _base_ entries")
    data = read_yaml(path)
    bases = data.pop(BASE_KEY, None)
    if bases is None:
        return data
    if isinstance(bases, str):
        bases = [bases]
    if not isinstance(bases, list) or not all(isinstance(b, str) for b in bases):
        raise ConfigError(
            f"{path}: $.{BASE_KEY}: expected a file name or a list of file names, got {bases!r}"
        )
    merged: dict[str, Any] = {}
    for base in bases:
        base_path = path.parent / base
        if not base_path.exists():
            raise ConfigError(
                f"{path}: base config not found: {base} (looked for {base_path}); "
                f"_base_ paths are relative to the file that names them"
            )
        merged = deep_merge(merged, _load_with_bases(base_path, (*chain, resolved)))
    return deep_merge(merged, data)


def load_config(
    path: str | Path,
    overrides: Iterable[str] = (),
    *,
    check_plugins: bool = True,
) -> tuple[ExperimentConfig, dict[str, Any]]:
    """Load, inherit, override and structure an experiment config file.

    Returns the typed config and the merged plain data it came from. Plugin
    requirements (``plugins:``) are checked against installed distributions;
    component params are checked by :func:`validate_components`. Sections
    registered by plugins (``serve:``) are part of the schema
    (:func:`~faceswap_core.config.sections.experiment_schema`).
    """
    overrides = tuple(overrides)
    schema = experiment_schema()
    loaded = load_raw(path)
    requirements = loaded.get("plugins")
    if (
        check_plugins
        and isinstance(requirements, list)
        and all(isinstance(item, str) for item in requirements)
    ):  # a missing plugin is named before its section is called unknown
        check_plugin_requirements(requirements)
    check_plugin_sections(loaded, schema)
    raw = apply_overrides(_seed_components(loaded, overrides), overrides, schema)
    config = structure(raw, schema)
    if check_plugins and config.plugins != requirements:  # --set plugins=[...]
        check_plugin_requirements(config.plugins)
    return config, raw


def check_plugin_sections(raw: Mapping[str, Any], schema: type[Any]) -> None:
    """A top-level section of a plugin that is not in use says which plugin brings it.

    :raises MissingPluginError: ``$.serve: the serve section comes from faceswap-rest ...``.
    """
    known = {field.name for field in attrs.fields(schema)}
    for key in raw:
        if key in known or not isinstance(key, str):
            continue
        dist = provider_of(CONFIG_SECTION, key)
        if dist is not None:
            raise MissingPluginError(
                f"$.{key}: the {key} section comes from {dist}, which is not loaded; "
                f"install it with: {install_hint(dist)}"
            )


def load_pipeline_config(overrides: Iterable[str] = ()) -> PipelineConfig:
    """The default pipeline with ``--set`` overrides, for commands run without a config file.

    Keys may be written from the experiment root (``pipeline.faces=largest``)
    or from the pipeline section (``faces=largest``).
    """
    return load_experiment(None, overrides).pipeline


def load_experiment(
    config: str | Path | None, overrides: Iterable[str] = (), *, check_plugins: bool = True
) -> ExperimentConfig:
    """``--config`` (or the defaults) with ``--set`` applied: what every command reads.

    Without a file, keys are written from the experiment root
    (``pipeline.faces=largest``, ``serve.port=9000``); ``pipeline`` keys may
    also be written from the pipeline section (``faces=largest``).
    """
    if config is not None:
        return load_config(config, overrides, check_plugins=check_plugins)[0]
    schema = experiment_schema()
    sections = {f.name for f in attrs.fields(PipelineConfig)}
    rooted = [
        f"pipeline.{text}" if text.partition("=")[0].split(".")[0].strip() in sections else text
        for text in overrides
    ]
    raw = apply_overrides(_seed_components({}, rooted), rooted, schema)
    return structure(raw, schema)


def _seed_components(raw: Mapping[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Give ``--set pipeline.swapper.KEY=V`` the default component to merge into.

    Without this, setting one param of a component the file does not name
    would replace the whole reference and lose its ``type``.
    """
    data = dict(raw)
    defaults = PipelineConfig()
    for text in overrides:
        keys = text.partition("=")[0].strip().removeprefix("$.").split(".")
        if len(keys) < 3 or keys[0] != "pipeline" or keys[1] not in _COMPONENT_SECTIONS:
            continue
        pipeline = data.get("pipeline")
        pipeline = dict(pipeline) if isinstance(pipeline, Mapping) else {}
        if pipeline.get(keys[1]) is None:
            pipeline[keys[1]] = dict(getattr(defaults, keys[1]))
        data["pipeline"] = pipeline
    return data


def dump_config(config: Any) -> str:
    """YAML of a resolved config object, keys in declaration order.

    Non-ASCII text is written as is when it reads back unchanged; strings with
    characters YAML treats as line breaks (NEL, U+2028) are escaped instead.
    """
    data = unstructure(config)
    if attrs.has(type(config)) and isinstance(data, dict):
        for field in attrs.fields(type(config)):
            if field.metadata.get(PLUGIN_SECTION) and getattr(config, field.name) is None:
                data.pop(field.name, None)  # a plugin section the config does not give
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if yaml.safe_load(text) != data:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=False)
    return text


__all__ = [
    "BASE_KEY",
    "DELETE_KEY",
    "deep_merge",
    "dump_config",
    "load_config",
    "load_experiment",
    "load_pipeline_config",
    "load_raw",
    "parse_yaml",
    "read_yaml",
    "resolve_config",
    "shipped_config_folders",
    "shipped_config_names",
]
