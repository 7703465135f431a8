"""Config files and ``--set`` values cannot cost gigabytes or print megabytes (issue 17).

A 307-byte YAML of nested aliases expanded to 43 million values: 20 s, 2 GB and
a 312 MB ``Error:`` line on main. Deep nesting was a RecursionError (exit 1).
Here each is refused while parsing, in one short line.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from faceswap_core.cli.main import make_cli
from faceswap_core.config.convert import structure
from faceswap_core.config.loader import load_config
from faceswap_core.config.schema import ExperimentConfig
from faceswap_core.config.yaml_safe import (
    MAX_ALIASES,
    MAX_CONFIG_BYTES,
    MAX_DEPTH,
    MAX_NODES,
    expanded_size,
    parse_yaml,
)
from faceswap_core.errors import MAX_MESSAGE, ConfigError
from faceswap_core.plugin.manager import FaceswapPlugins


def laughs(levels: int = 8, width: int = 9, key: str = "seed") -> str:
    """The classic "billion laughs": each level repeats the one before ``width`` times."""
    lines = ['l0: &l0 ["lol"]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    lines.append(f"{key}: [" + ", ".join([f"*l{levels - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def flow_laughs(levels: int = 8, width: int = 9) -> str:
    """The same bomb as one flow sequence, for ``--set KEY=VALUE``."""
    parts = ["&l0 [lol]"]
    for level in range(1, levels):
        parts.append(f"&l{level} [" + ",".join([f"*l{level - 1}"] * width) + "]")
    parts.append("[" + ",".join([f"*l{levels - 1}"] * width) + "]")
    return "[" + ",".join(parts) + "]"


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


def test_an_alias_bomb_is_refused_while_parsing(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(laughs())
    assert bomb.stat().st_size < 500
    started = time.perf_counter()
    with pytest.raises(ConfigError, match=f"more than {MAX_NODES} values once its aliases"):
        load_config(bomb)
    assert time.perf_counter() - started < 5  # a generous bound: it used to take 20 s


def test_config_show_of_a_bomb_is_one_short_line(plugins: FaceswapPlugins, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(laughs())
    result = CliRunner().invoke(make_cli(plugins), ["config", "show", str(bomb)])
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith(f"Error: cannot parse {bomb}: more than")
    assert len(line) < 400


def test_a_set_alias_bomb_is_one_short_line(plugins: FaceswapPlugins) -> None:
    args = ["config", "show", "smoke", "--set", f"seed={flow_laughs()}"]
    result = CliRunner().invoke(make_cli(plugins), args)
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert "more than 100000 values once its aliases are expanded" in line
    assert len(line) <= MAX_MESSAGE + 100


@pytest.mark.parametrize(
    "text",
    [
        "seed: " + "[" * 5000 + "]" * 5000,
        "seed: " + "{a: " * 3000 + "1" + "}" * 3000,
        "".join(f"{'  ' * i}k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n",
    ],
    ids=["flow-lists", "flow-maps", "block-maps"],
)
def test_deep_nesting_is_a_config_error_not_a_recursion_error(text: str) -> None:
    with pytest.raises(ConfigError, match=f"nested deeper than {MAX_DEPTH} levels"):
        parse_yaml(text, source="deep.yaml")


def test_a_value_that_contains_itself_is_refused() -> None:
    with pytest.raises(ConfigError, match="an alias refers to a value that contains it"):
        parse_yaml("a: &a [1, *a]\n")


def test_too_many_aliases_are_refused() -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(ConfigError, match=f"more than {MAX_ALIASES} aliases"):
        parse_yaml(text)


def test_a_huge_config_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("w") as handle:
        handle.write("seed: 1\n# " + "x" * MAX_CONFIG_BYTES + "\n")
    with pytest.raises(ConfigError, match="byte limit"):
        load_config(path)


def test_a_long_bad_value_is_quoted_short() -> None:
    """A legal but wrong 50,000-item value: the error quotes a few items, not all."""
    data = {"seed": list(range(50_000))}
    with pytest.raises(ConfigError) as caught:
        structure(data, ExperimentConfig)
    message = str(caught.value)
    assert message.startswith("$.seed: expected int, got [0, 1, 2, 3, 4, 5, ...]")
    assert len(message) < 200


def test_many_bad_paths_are_counted_not_listed() -> None:
    data = {"plugins": list(range(500))}  # 500 items that are not strings
    with pytest.raises(ConfigError) as caught:
        structure(data, ExperimentConfig)
    assert str(caught.value).endswith("and 480 more")


def test_real_configs_are_far_from_the_limits() -> None:
    folder = Path(__file__).resolve().parents[2] / "configs" / "face_swap"
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text()
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        assert node is not None
        assert expanded_size(node) < MAX_NODES // 100, path


# -- expanded_size against the fully built data -------------------------------------------


def count_values(data: Any) -> int:
    """An independent count: every list, dict, key and scalar of the constructed data."""
    if isinstance(data, dict):
        return 1 + sum(count_values(k) + count_values(v) for k, v in data.items())
    if isinstance(data, list):
        return 1 + sum(count_values(item) for item in data)
    return 1


@st.composite
def documents_with_aliases(draw: st.DrawFn) -> str:
    """Small YAML documents whose later entries reuse earlier ones through aliases."""
    count = draw(st.integers(1, 6))
    lines = []
    for index in range(count):
        items = [str(v) for v in draw(st.lists(st.integers(0, 9), max_size=3))]
        if index:
            items += [
                f"*a{draw(st.integers(0, index - 1))}" for _ in range(draw(st.integers(0, 4)))
            ]
        lines.append(f"k{index}: &a{index} [{', '.join(items)}]")
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None)
@given(documents_with_aliases())
def test_expanded_size_counts_every_alias_use(text: str) -> None:
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    assert node is not None
    assert expanded_size(node) == count_values(yaml.safe_load(text))


def count_shared(data: Any, memo: dict[int, int] | None = None) -> int:
    """:func:`count_values` for data whose lists are shared (as PyYAML builds aliases)."""
    memo = {} if memo is None else memo
    if id(data) in memo:
        return memo[id(data)]
    if isinstance(data, list):
        total = 1 + sum(count_shared(item, memo) for item in data)
    elif isinstance(data, dict):
        total = 1 + sum(count_shared(k, memo) + count_shared(v, memo) for k, v in data.items())
    else:
        total = 1
    memo[id(data)] = total
    return total


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 12), st.integers(2, 12))
def test_every_bomb_shape_is_refused_exactly_when_it_is_large(levels: int, width: int) -> None:
    text = laughs(levels, width, key="l_top")
    size = count_shared(yaml.safe_load(text))  # PyYAML itself shares the aliased lists
    if size > MAX_NODES:
        with pytest.raises(ConfigError, match="values once its aliases are expanded"):
            parse_yaml(text)
    else:
        assert count_shared(parse_yaml(text)) == size
