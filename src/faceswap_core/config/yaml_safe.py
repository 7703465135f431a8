"""YAML parsed safely: PyYAML's safe loader, duplicate keys refused, one-line errors.

Config files and ``--set`` values are user input; a syntax error becomes a
:class:`ConfigError` naming the line and column, never a PyYAML traceback.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import yaml

from faceswap_core.errors import ConfigError


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


__all__ = ["parse_yaml", "read_yaml"]
