"""Typed configuration: YAML files, inheritance, overrides, strict structuring.

A config file is YAML (read with PyYAML's safe loader) whose top level is a
mapping. ``_base_: other.yaml`` (or a list of files) inherits from files
relative to it, deep-merged, later files winning. ``--set a.b=value``
overrides are parsed as YAML and checked against the target field's type.
Everything is then structured into attrs classes by a strict cattrs converter:
unknown keys are errors and nothing is coerced silently. Errors carry the path
of the offending value and what was expected, e.g.
``$.train.lr: expected float, got 'fast'``.

Components (``{type: NAME, **params}``) are validated in a second phase
(:func:`validate_components`): their params are structured into each
component's own config class without building anything, mmengine style.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata as metadata
import importlib.util
import random
import sys
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import attrs
import cattrs
import cattrs.cols
import cattrs.gen
import yaml
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from packaging.requirements import InvalidRequirement, Requirement

from faceswap_core.errors import ConfigError, FaceswapError, MissingPluginError

if TYPE_CHECKING:
    from faceswap_core.experiment import ExperimentConfig
    from faceswap_core.pipeline_config import PipelineConfig
    from faceswap_core.plugins import FaceswapPlugins

T = TypeVar("T")

BASE_KEY = "_base_"
DELETE_KEY = "_delete_"
SEED_MAX = 2**32 - 1
# attrs field metadata naming the component kind of a ``{type: ...}`` reference.
COMPONENT_METADATA = "component"


# -- strict structuring -------------------------------------------------------


class FieldValueError(ValueError):
    """Raised by attrs validators so the error path names the field, not just its class."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _strict_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected float, got {value!r}")
    return float(value)


def _strict_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected int, got {value!r}")
    return value


def _strict_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected str, got {value!r}")
    return value


def _strict_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected bool, got {value!r}")
    return value


def _is_literal(tp: Any) -> bool:
    return typing.get_origin(tp) is Literal


def _literal_factory(tp: Any) -> Callable[[Any, Any], Any]:
    choices = typing.get_args(tp)
    listing = ", ".join(repr(c) for c in choices)

    def structure_literal(value: Any, _: Any) -> Any:
        # bool is an int: Literal[1] must not accept True.
        for choice in choices:
            if value == choice and type(value) is type(choice):
                return choice
        raise ValueError(f"expected one of {listing}, got {value!r}")

    return structure_literal


def _is_mapping_type(tp: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    return origin in (dict, Mapping, typing.Dict, typing.Mapping)  # noqa: UP006


def _is_list_type(tp: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    return origin in (list, Sequence, typing.List, typing.Sequence)  # noqa: UP006


def _is_tuple_type(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _guard(
    inner: Callable[[Any, Any], Any], accepts: Callable[[Any], bool], expected: str
) -> Callable[[Any, Any], Any]:
    """Reject the wrong container up front (cattrs would iterate a string into a list)."""

    def structure_checked(value: Any, tp: Any) -> Any:
        if not accepts(value):
            raise ValueError(f"expected {expected}, got {value!r}")
        return inner(value, tp)

    return structure_checked


def _is_sequence_value(value: Any) -> bool:
    return isinstance(value, list | tuple)


def _is_mapping_value(value: Any) -> bool:
    return isinstance(value, Mapping)


def make_converter() -> cattrs.Converter:
    """A converter that forbids unknown keys and never coerces types silently."""
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(float, _strict_float)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook_factory(_is_literal, _literal_factory)
    converter.register_structure_hook_factory(
        attrs.has,
        lambda tp: _guard(
            cattrs.gen.make_dict_structure_fn(tp, converter), _is_mapping_value, "a mapping"
        ),
    )
    converter.register_structure_hook_factory(
        _is_mapping_type,
        lambda tp: _guard(
            cattrs.cols.mapping_structure_factory(tp, converter), _is_mapping_value, "a mapping"
        ),
    )
    converter.register_structure_hook_factory(
        _is_list_type,
        lambda tp: _guard(
            cattrs.cols.list_structure_factory(tp, converter), _is_sequence_value, "a list"
        ),
    )
    converter.register_structure_hook_factory(
        _is_tuple_type,
        lambda tp: _guard(
            cattrs.cols.homogenous_tuple_structure_factory(tp, converter),
            _is_sequence_value,
            "a list",
        ),
    )
    return converter


converter = make_converter()


def _messages(exc: BaseException, path: str) -> list[str]:
    if isinstance(exc, ForbiddenExtraKeysError):
        known = [f.name for f in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
        out = []
        for key in sorted(exc.extra_fields):
            hint = difflib.get_close_matches(str(key), known, n=1)
            suffix = f" (did you mean {hint[0]!r}?)" if hint else ""
            out.append(f"{path}.{key}: unknown key{suffix}")
        return out
    if isinstance(exc, ClassValidationError | IterableValidationError):
        out = []
        for sub in exc.exceptions:
            note = _note_of(sub)
            out.extend(_messages(sub, f"{path}{note}" if note else path))
        return out
    if isinstance(exc, KeyError):
        return [f"{path}: required key missing"]
    if isinstance(exc, FieldValueError):
        return [f"{path}.{exc.field}: {exc}"]
    text = str(exc)
    if isinstance(exc, TypeError | ValueError) and "expected" not in text:
        text = f"invalid value: {text}"
    return [f"{path}: {text}"]


def _note_of(exc: BaseException) -> str:
    for note in getattr(exc, "__notes__", []):
        name = getattr(note, "name", None)
        index = getattr(note, "index", None)
        if name is not None:
            return f".{name}"
        if index is not None:
            return f"[{index}]"
    return ""


def structure(data: Any, cls: type[T], *, path: str = "$") -> T:
    """Structure ``data`` into ``cls`` or raise :class:`ConfigError` with every bad path."""
    if data is None:
        data = {}
    try:
        return converter.structure(data, cls)
    except FaceswapError:
        raise
    except Exception as exc:
        lines = _messages(exc, path)
        raise ConfigError("; ".join(lines) if lines else f"{path}: {exc}") from None


def unstructure(value: Any) -> Any:
    """The plain-data form of a config object (what gets dumped to YAML)."""
    return converter.unstructure(value)


# -- YAML files and inheritance ------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key repeated in one mapping is an error."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, typing.Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, *, source: str = "<string>") -> Any:
    """Parse YAML safely; a syntax error becomes a one-line :class:`ConfigError` with its line."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise ConfigError(
            f"cannot parse {source}: {where}: {problem}; fix the YAML syntax there"
        ) from None
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise ConfigError(f"cannot parse {source}: {problem}; fix the YAML syntax") from None


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read one YAML file whose top level must be a mapping (an empty file is ``{}``)."""
    file = Path(path)
    if not file.exists():
        raise ConfigError(
            f"config file not found: {file}; pass the path of a YAML file, "
            f"e.g. configs/face_swap/baseline.yaml"
        )
    if not file.is_file():
        raise ConfigError(f"config path is not a file: {file}; pass the path of a YAML file")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {file}: {exc}") from None
    data = parse_yaml(text, source=str(file))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"config file {file} must contain a mapping at the top level, "
            f"got {type(data).__name__}; write 'key: value' lines"
        )
    return data


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
    """Read a config file with its ``_base_`` chain resolved and merged (plain data)."""
    return _strip_delete(_load_with_bases(Path(path), ()))  # type: ignore[no-any-return]


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


# -- --set overrides -------------------------------------------------------------


def _unwrap_optional(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _field_types(cls: type[Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints.get(f.name, Any) for f in attrs.fields(cls)}


def _target_type(cls: type[Any], keys: Sequence[str], override: str) -> Any:
    """The declared type at ``keys``; an unknown key is an error naming the path."""
    tp: Any = cls
    walked = "$"
    for key in keys:
        inner = _unwrap_optional(tp)
        if attrs.has(inner):
            fields = _field_types(inner)
            if key not in fields:
                hint = difflib.get_close_matches(key, list(fields), n=1)
                suffix = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise ConfigError(
                    f"--set {override}: unknown key {walked}.{key}{suffix}; "
                    f"keys there: {', '.join(fields)}"
                )
            tp = fields[key]
        elif inner is Any or _is_mapping_type(inner):
            args = typing.get_args(inner)
            tp = args[1] if len(args) == 2 else Any
        else:
            name = getattr(inner, "__name__", str(inner))
            raise ConfigError(
                f"--set {override}: {walked} is a value of type {name}, it has no key {key!r}"
            )
        walked = f"{walked}.{key}"
    return tp


def _is_component_ref(tp: Any) -> bool:
    inner = _unwrap_optional(tp)
    args = typing.get_args(inner)
    return _is_mapping_type(inner) and len(args) == 2 and args[0] is str and args[1] is Any


def parse_override(text: str) -> tuple[list[str], str]:
    """Split ``a.b.c=value`` into ``(["a", "b", "c"], "value")``."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if key.startswith("$."):
        key = key[2:]
    keys = key.split(".") if key else []
    if not sep or not keys or any(not part for part in keys):
        raise ConfigError(
            f"--set {text!r}: expected KEY.PATH=VALUE, e.g. --set pipeline.faces=largest"
        )
    return keys, value


def apply_overrides(
    raw: Mapping[str, Any], overrides: Iterable[str], cls: type[Any]
) -> dict[str, Any]:
    """Apply ``--set`` overrides to plain config data, typed by the fields of ``cls``.

    The value is parsed as YAML (``3`` is an int, ``[a, b]`` a list); a field
    declared ``str`` keeps the text as written, and a component reference set
    to a bare name becomes ``{type: NAME}``. Type mismatches surface when the
    result is structured.
    """
    data: dict[str, Any] = dict(raw)
    for text in overrides:
        keys, value_text = parse_override(text)
        target = _unwrap_optional(_target_type(cls, keys, text))
        value = parse_yaml(value_text, source=f"--set {text}") if value_text.strip() else None
        if target is str and value is not None and not isinstance(value, str):
            value = value_text
        elif _is_component_ref(target) and isinstance(value, str):
            value = {"type": value}
        data = _set_path(data, keys, value, text)
    return data


def _set_path(
    data: Mapping[str, Any], keys: Sequence[str], value: Any, text: str
) -> dict[str, Any]:
    result = dict(data)
    head, rest = keys[0], keys[1:]
    if not rest:
        result[head] = value
        return result
    child = result.get(head)
    if child is None:
        child = {}
    if not isinstance(child, Mapping):
        raise ConfigError(
            f"--set {text}: {head} holds {child!r}, not a mapping; set {head} itself instead"
        )
    result[head] = _set_path(child, rest, value, text)
    return result


# -- seeds and plugin requirements -------------------------------------------------


def apply_seed(seed: int, *, import_torch: bool = False) -> list[str]:
    """Seed ``random``, numpy and, when present, torch; return what was seeded.

    torch is seeded when it is already imported, or when ``import_torch`` is
    true and it is installed; core never imports torch on its own.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        raise ConfigError(f"$.seed: expected an int between 0 and {SEED_MAX}, got {seed!r}")
    seeded = ["random"]
    random.seed(seed)
    import numpy as np

    np.random.seed(seed)
    seeded.append("numpy")
    torch = sys.modules.get("torch")
    if torch is None and import_torch and importlib.util.find_spec("torch") is not None:
        torch = importlib.import_module("torch")
    if torch is not None:
        torch.manual_seed(seed)
        cuda = getattr(torch, "cuda", None)
        if cuda is not None and cuda.is_available():
            cuda.manual_seed_all(seed)
        seeded.append("torch")
    return seeded


def parse_requirement(text: str, *, path: str = "$.plugins") -> Requirement:
    """Parse one ``plugins:`` entry (a pip requirement such as ``faceswap-unet>=0.1``)."""
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        reason = " ".join(str(exc).split())
        raise ConfigError(
            f"{path}: expected a requirement such as 'faceswap-unet>=0.1', got {text!r} ({reason})"
        ) from None


def check_plugin_requirements(
    requirements: Iterable[str],
    *,
    versions: Callable[[str], str | None] | None = None,
) -> None:
    """Raise :class:`MissingPluginError` for requirements no installed distribution meets.

    :param versions: name -> installed version or ``None``; defaults to
        ``importlib.metadata``.
    """
    lookup = versions or _installed_version
    problems: list[str] = []
    wanted: list[str] = []
    for index, text in enumerate(requirements):
        requirement = parse_requirement(text, path=f"$.plugins[{index}]")
        installed = lookup(requirement.name)
        if installed is None:
            problems.append(f"{text} (not installed)")
        elif requirement.specifier and not requirement.specifier.contains(
            installed, prereleases=True
        ):
            problems.append(f"{text} ({installed} installed)")
        else:
            continue
        wanted.append(f"'{text}'" if any(c in text for c in "<>=!~;[ ") else text)
    if problems:
        raise MissingPluginError(
            f"Missing required plugins: {', '.join(problems)}. "
            f"Install them with: pip install {' '.join(wanted)}"
        )


def _installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


# -- the experiment config -------------------------------------------------------


def load_config(
    path: str | Path,
    overrides: Iterable[str] = (),
    *,
    check_plugins: bool = True,
) -> tuple[ExperimentConfig, dict[str, Any]]:
    """Load, inherit, override and structure an experiment config file.

    Returns the typed config and the merged plain data it came from. Plugin
    requirements (``plugins:``) are checked against installed distributions;
    component params are checked by :func:`validate_components`.
    """
    from faceswap_core.experiment import ExperimentConfig

    raw = apply_overrides(load_raw(path), overrides, ExperimentConfig)
    config = structure(raw, ExperimentConfig)
    if check_plugins:
        check_plugin_requirements(config.plugins)
    return config, raw


def load_pipeline_config(overrides: Iterable[str] = ()) -> PipelineConfig:
    """The default pipeline with ``--set`` overrides, for commands run without a config file.

    Keys may be written from the experiment root (``pipeline.faces=largest``)
    or from the pipeline section (``faces=largest``).
    """
    from faceswap_core.experiment import ExperimentConfig
    from faceswap_core.pipeline_config import PipelineConfig

    sections = {f.name for f in attrs.fields(PipelineConfig)}
    rooted = [
        f"pipeline.{text}" if text.partition("=")[0].split(".")[0].strip() in sections else text
        for text in overrides
    ]
    raw = apply_overrides({}, rooted, ExperimentConfig)
    return structure(raw, ExperimentConfig).pipeline


def dump_config(config: Any) -> str:
    """YAML of a resolved config object, keys in declaration order."""
    return yaml.safe_dump(unstructure(config), sort_keys=False, allow_unicode=True)


def component_refs(config: Any, path: str = "$") -> list[tuple[str, str, Any]]:
    """Every component reference in a config tree as ``(path, kind, ref)``.

    A field is a reference when its metadata names a kind
    (``attrs.field(metadata={"component": "loss"})``, on a ref or a list of
    refs) or when it is named after a kind and holds ``{type: ...}``.
    """
    from faceswap_core.registry import KINDS

    found: list[tuple[str, str, Any]] = []
    if not attrs.has(type(config)):
        return found
    for field in attrs.fields(type(config)):
        value = getattr(config, field.name)
        where = f"{path}.{field.name}"
        kind = field.metadata.get(COMPONENT_METADATA)
        if kind is None and field.name in KINDS and isinstance(value, Mapping | str):
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

    Nothing is built. Returns ``{path: structured params}``; raises one
    :class:`ConfigError` listing every problem with its path.
    """
    resolved: dict[str, Any] = {}
    problems: list[str] = []
    for where, kind, ref in component_refs(config):
        try:
            _, params = plugins.resolve(kind, ref, path=where)
        except ConfigError as exc:
            problems.append(str(exc))
        except FaceswapError as exc:  # unknown component: say where it was named
            problems.append(f"{where}: {exc}")
        else:
            resolved[where] = params
    if problems:
        raise ConfigError("; ".join(problems))
    return resolved


__all__ = [
    "FieldValueError",
    "apply_overrides",
    "apply_seed",
    "check_plugin_requirements",
    "component_refs",
    "converter",
    "deep_merge",
    "dump_config",
    "load_config",
    "load_pipeline_config",
    "load_raw",
    "make_converter",
    "parse_override",
    "parse_requirement",
    "parse_yaml",
    "read_yaml",
    "structure",
    "unstructure",
    "validate_components",
]
