"""The architecture is enforced, not just drawn: import-linter contracts and no import cycles.

``nox -s lint`` runs the same contracts; these tests prove they are real by
adding an upward import to a copy of the source tree and watching them fail.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGIN_SOURCES = sorted((REPO / "plugins").glob("*/src"))


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports with ``root``'s pyproject.toml on ``root``'s sources."""
    sources = [root / "src", *(root / p.relative_to(REPO) for p in PLUGIN_SOURCES)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(s) for s in sources)}
    executable = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(executable), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(REPO / "src", root / "src", ignore=ignore)
    for source in PLUGIN_SOURCES:
        shutil.copytree(source, root / source.relative_to(REPO), ignore=ignore)
    return root


def test_the_real_tree_keeps_every_contract() -> None:
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "reported"),
    [
        # the bottom layer reaching up to the CLI
        (
            "src/faceswap_core/io/limits.py",
            "import faceswap_core.cli.main",
            "faceswap_core.io.limits -> faceswap_core.cli.main",
        ),
        # an upward import hidden in a function still counts
        (
            "src/faceswap_core/vision/align.py",
            "def _late() -> None:\n    from faceswap_core.pipeline import image  # noqa",
            "faceswap_core.vision.align -> faceswap_core.pipeline.image",
        ),
        # core reaching for torch
        (
            "src/faceswap_core/pipeline/timing.py",
            "import torch",
            "faceswap_core.pipeline.timing -> torch",
        ),
        # one plugin importing another
        (
            "plugins/faceswap_trt/src/faceswap_trt/hooks.py",
            "import faceswap_retinaface.hooks",
            "faceswap_trt.hooks -> faceswap_retinaface.hooks",
        ),
    ],
)
def test_a_deliberate_violation_breaks_its_contract(
    tree_copy: Path, module: str, line: str, reported: str
) -> None:
    target = tree_copy / module
    original = target.read_text()
    target.write_text(original + "\n" + line + "\n")
    try:
        result = _lint_imports(tree_copy)
    finally:
        target.write_text(original)
    assert result.returncode == 1, result.stdout[-2000:]
    assert "BROKEN" in result.stdout
    broken = " ".join(result.stdout.split("Broken contracts", 1)[-1].split())
    assert reported in broken


def _imports_of(path: Path, package: str) -> set[str]:
    """Every faceswap_core module a file imports, at any depth (functions, TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith(package):
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(package))
    return found


def test_no_import_cycles_counting_function_level_and_type_checking_imports() -> None:
    """A Tarjan pass over every import, as ../shared/tools/import_cycles.py does."""
    src = REPO / "src"
    modules: dict[str, Path] = {}
    for file in (src / "faceswap_core").rglob("*.py"):
        parts = list(file.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = file

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    edges = {
        name: {r for t in _imports_of(file, "faceswap_core") if (r := resolve(t)) and r != name}
        for name, file in modules.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in modules:
        if name not in index:
            visit(name)
    assert cycles == []
