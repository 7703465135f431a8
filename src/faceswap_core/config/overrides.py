"""``--set a.b=value`` overrides, typed by the config classes they land in.

The value is parsed as YAML (``3`` is an int, ``[a, b]`` a list); a field
declared ``str`` keeps the text as written, a list field set to a text takes
its comma-separated items (``--set pipeline.paste.areas=mouth,lower-face``),
and a component reference set to a bare name becomes ``{type: NAME}``. An
unknown key is an error naming the path and the keys that exist there; type
mismatches surface when the result is structured.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from faceswap_core.config.convert import is_mapping_type
from faceswap_core.config.yaml_safe import parse_yaml
from faceswap_core.errors import ConfigError


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
        elif inner is Any or is_mapping_type(inner):
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
    return is_mapping_type(inner) and len(args) == 2 and args[0] is str and args[1] is Any


def _is_list(tp: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    if origin is tuple:
        args = typing.get_args(tp)
        return len(args) == 2 and args[1] is Ellipsis
    return origin in (list, Sequence, typing.List, typing.Sequence)  # noqa: UP006


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
    declared ``str`` keeps the text as written, a list field set to a text
    takes its comma-separated items, and a component reference set to a bare
    name becomes ``{type: NAME}``. Type mismatches surface when the result is
    structured.
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
        elif _is_list(target) and isinstance(value, str):
            value = [item.strip() for item in value.split(",")]
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


__all__ = ["apply_overrides", "parse_override"]
