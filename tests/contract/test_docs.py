"""Meta-tests: every hook is documented, specified properly and tested; docs match the example.

Adding a hook to faceswap_core.plugin.hookspecs without a ``## register_xxx`` section
in docs/plugin-hooks.md, without ``:param:`` / ``.. versionadded::`` in its
docstring, or without a ``test_hook_register_xxx`` test fails here.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from faceswap_core import testing
from faceswap_core.plugin import hookspecs
from faceswap_core.plugin.kinds import EXTRA_HOOKS, HOOK_NAMES, KINDS

REPO = Path(__file__).resolve().parents[2]
HOOKS_DOC = REPO / "docs" / "plugin-hooks.md"
GUIDE = REPO / "docs" / "writing-plugins.md"
EXAMPLE = REPO / "examples" / "faceswap-hello"


def _hookspecs() -> dict[str, Callable[..., Any]]:
    return {
        name: function
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, "faceswap_spec")
    }


HOOKS = sorted(_hookspecs())


def _sections(path: Path) -> dict[str, str]:
    """``## heading`` -> the text up to the next ``## ``."""
    parts = re.split(r"^## +(.+?) *$", path.read_text(), flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def _test_functions() -> dict[str, str]:
    """``test_hook_*`` function name -> its pytest node id."""
    names: dict[str, str] = {}
    for path in (REPO / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_hook_"):
                names[node.name] = f"{path.relative_to(REPO).as_posix()}::{node.name}"
    return names


def _code_blocks(path: Path, language: str) -> list[str]:
    return re.findall(
        rf"^```{language}\n(.*?)^```", path.read_text(), flags=re.MULTILINE | re.DOTALL
    )


def test_hookspecs_are_found() -> None:
    assert len(HOOKS) == 16  # 13 component kinds, commands, config sections, operations
    assert set(HOOKS) == set(HOOK_NAMES)
    assert {kind.hook for kind in KINDS} | set(EXTRA_HOOKS) == set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_with_its_signature(hook: str) -> None:
    sections = _sections(HOOKS_DOC)
    assert hook in sections, f"docs/plugin-hooks.md has no '## {hook}' section"
    parameters = list(inspect.signature(_hookspecs()[hook]).parameters)
    signature = re.search(rf"def {hook}\(([^)]*)\)", sections[hook])
    assert signature, f"the {hook} section shows no 'def {hook}(...)' signature"
    documented = [
        part.split(":")[0].strip() for part in signature.group(1).split(",") if part.strip()
    ]
    assert documented == parameters


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_docstring_has_params_and_versionadded(hook: str) -> None:
    function = _hookspecs()[hook]
    doc = inspect.getdoc(function) or ""
    for parameter in inspect.signature(function).parameters:
        assert f":param {parameter}:" in doc, f"{hook} docstring lacks ':param {parameter}:'"
    assert re.search(r"^\.\. versionadded:: \d+\.\d+", doc, flags=re.MULTILINE), hook


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test(hook: str) -> None:
    assert f"test_hook_{hook}" in _test_functions(), f"no test named test_hook_{hook} under tests/"


def test_each_hook_test_really_calls_its_hook_on_a_plugin(tmp_path: Path) -> None:
    """Run the test_hook_* tests with a recorder: each hook must be called on a test plugin.

    A test named after a hook that never makes the manager call that hook on
    a plugin (only core's built-ins, or nothing at all) fails here.
    """
    tests = _test_functions()
    record = tmp_path / "hooks.json"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-cov"),
            *("-p", "tests.hook_recorder", *(tests[f"test_hook_{hook}"] for hook in HOOKS)),
        ],
        cwd=REPO,
        env={**os.environ, "FACESWAP_HOOK_RECORD": str(record)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    result = json.loads(record.read_text())
    called = {hook for hook, plugin in result["called"]}
    missing = [hook for hook in HOOKS if hook not in called]
    assert not missing, f"hooks never called on a plugin by their tests: {missing}"


def test_docs_document_no_hook_that_does_not_exist() -> None:
    documented = {heading for heading in _sections(HOOKS_DOC) if heading.startswith("register_")}
    assert documented == set(HOOKS)


def test_guide_documents_the_testing_helpers_and_environment() -> None:
    guide = GUIDE.read_text()
    for name in ("faceswap_plugins", "register_plugin", "faceswap_cli", *testing.__all__):
        assert f"`{name}" in guide, f"docs/writing-plugins.md does not mention {name}"
    for variable in ("FACESWAP_STRICT_PLUGINS", "FACESWAP_LOAD_PLUGINS"):
        assert variable in guide


def test_guide_python_snippets_parse() -> None:
    blocks = _code_blocks(GUIDE, "python")
    assert blocks
    for block in blocks:
        ast.parse(block)


def test_guide_pyproject_matches_the_example() -> None:
    (shown,) = (tomllib.loads(block) for block in _code_blocks(GUIDE, "toml"))
    actual = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())
    assert shown["project"]["entry-points"] == actual["project"]["entry-points"]
    assert shown["project"]["dependencies"] == actual["project"]["dependencies"]
    assert shown["project"]["name"] == actual["project"]["name"]
    assert "faceswap-core>=0.1,<0.2" in actual["project"]["dependencies"]


def test_guide_hooks_module_is_the_real_one() -> None:
    real = (EXAMPLE / "src" / "faceswap_hello" / "hooks.py").read_text()
    shown = [block for block in _code_blocks(GUIDE, "python") if "def register_detectors" in block]
    assert shown, "the guide shows no hooks module"
    assert shown[0].strip() in real, (
        "docs/writing-plugins.md shows a hooks.py that differs from the example"
    )
