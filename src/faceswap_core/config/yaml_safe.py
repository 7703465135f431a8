"""YAML parsed safely: PyYAML's safe loader, duplicate keys refused, one-line errors.

Config files and ``--set`` values are user input; a syntax error becomes a
:class:`ConfigError` naming the line and column, never a PyYAML traceback.

Sizes are bounded before anything is built, so a few hundred bytes cannot
cost gigabytes ("billion laughs": nested aliases that each repeat the one
before): at most :data:`MAX_ALIASES` aliases, :data:`MAX_DEPTH` levels of
nesting, :data:`MAX_NODES` values once every alias is expanded, and files of
at most :data:`MAX_CONFIG_BYTES`. The check walks the parsed node graph
(each anchored node once), so refusing a bomb takes milliseconds.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import yaml

from faceswap_core.errors import ConfigError

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists (real configs use fewer than 10 levels)."""

MAX_ALIASES = 256
"""Most ``*alias`` references in one document."""

MAX_NODES = 100_000
"""Most values in one document with every alias expanded (real configs hold a few hundred)."""

MAX_CONFIG_BYTES = 4 * 1024 * 1024
"""Largest config file read."""


def _too_big(source: str, what: str) -> ConfigError:
    return ConfigError(
        f"cannot parse {source}: {what}; configs are small files: "
        "remove the repetition or nesting (YAML aliases count once per use)"
    )


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key repeated in one mapping is an error and
    nesting, aliases and the expanded size are bounded (module docstring)."""

    source = "<string>"

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _too_big(self.source, f"more than {MAX_ALIASES} aliases")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _too_big(self.source, f"nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node: yaml.Node) -> Any:
        try:
            count = expanded_size(node)
        except ValueError as exc:
            raise _too_big(self.source, str(exc)) from None
        if count > MAX_NODES:
            raise _too_big(
                self.source, f"more than {MAX_NODES} values once its aliases are expanded"
            )
        return super().construct_document(node)

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


def expanded_size(root: yaml.Node) -> int:
    """How many values ``root`` holds with every alias expanded; each node is visited once.

    Shared nodes (aliases) are counted once per use through memoised
    subtotals, so a bomb's size is computed without expanding it. A node
    that contains itself (``&a [*a]``) has no finite size: :class:`ValueError`.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        if children_done:
            open_nodes.discard(key)
            total = 1 + sum(sizes[id(child)] for child in children)
            sizes[key] = min(total, MAX_NODES + 1)
            continue
        if key in open_nodes:
            raise ValueError("an alias refers to a value that contains it")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def parse_yaml(text: str, *, source: str = "<string>") -> Any:
    """Parse YAML safely; a syntax error becomes a one-line :class:`ConfigError` with its line."""
    loader = _UniqueKeyLoader(text)
    loader.source = source
    try:
        return loader.get_single_data()
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
    finally:
        loader.dispose()


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
        size = file.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise _too_big(str(file), f"{size} bytes, over the {MAX_CONFIG_BYTES} byte limit")
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


__all__ = [
    "MAX_ALIASES",
    "MAX_CONFIG_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "expanded_size",
    "parse_yaml",
    "read_yaml",
]
