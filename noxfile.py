"""Every development task of faceswap: `nox -l` lists them.

Each session builds its own virtualenv from the project's files, so a fresh
machine with only Python 3.11 can run any of them.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"
ROOT = Path(__file__).parent
PLUGINS = ("faceswap_retinaface", "faceswap_unet", "faceswap_trt", "faceswap_rest")
PLUGIN_PATHS = [f"plugins/{name}" for name in PLUGINS]
TEST_ENV = {"FACESWAP_STRICT_PLUGINS": "1", "OMP_NUM_THREADS": "2", "PYTHONDONTWRITEBYTECODE": "1"}


def install_all(session: nox.Session) -> None:
    session.install("-e", ".[test]", *[arg for path in PLUGIN_PATHS for arg in ("-e", path)])


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole suite with every plugin installed (what CI runs)."""
    install_all(session)
    session.run(
        "pytest",
        "tests",
        *[f"{path}/tests" for path in PLUGIN_PATHS],
        *[f"--cov={name}" for name in PLUGINS],
        "--hypothesis-profile=ci",
        *session.posargs,
        env=TEST_ENV,
    )


@nox.session(python=PYTHON)
def core(session: nox.Session) -> None:
    """Core alone: imports and lists no plugins, without torch or any plugin installed."""
    session.install(".[test]")
    session.run(
        "python",
        "-c",
        "import sys, faceswap, faceswap_core, faceswap_core.pipeline.image, faceswap_core.cli.main;"
        "assert 'torch' not in sys.modules, 'core imported torch';"
        "import importlib.util as u; assert u.find_spec('torch') is None, 'torch is installed';"
        "print('faceswap-core', faceswap.__version__, 'imports without torch')",
    )
    output = session.run("faceswap", "plugins", silent=True)
    if output is None or output.strip() != "[]":
        session.error(f"faceswap plugins should print [] with core alone, got: {output!r}")
    session.log("faceswap plugins -> []")
    session.run("faceswap", "components")
    session.run(
        "pytest",
        "tests/unit/test_align.py",
        "tests/unit/test_blend.py",
        "tests/unit/test_select.py",
        "--no-cov",
        env=TEST_ENV,
    )


@nox.session(python=PYTHON)
@nox.parametrize("plugin", PLUGINS)
def plugin(session: nox.Session, plugin: str) -> None:
    """Core plus one plugin: the plugin's own tests pass in isolation."""
    session.install("-e", ".[test]", "-e", f"plugins/{plugin}")
    tests_dir = Path("plugins", plugin, "tests")
    if any(tests_dir.glob("test_*.py")):
        session.run("pytest", str(tests_dir), f"--cov={plugin}", env=TEST_ENV)
    else:
        session.run("faceswap", "plugins")


SOURCE_PATH = os.pathsep.join(["src", *(f"{path}/src" for path in PLUGIN_PATHS)])
"""Where import-linter finds core and every plugin without installing them."""


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check, ruff format check, and the import-linter layer contracts."""
    session.install("ruff>=0.6", "import-linter>=2.1")
    session.run("ruff", "check", "src", "plugins", "tests", "examples", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "plugins", "tests", "examples", "noxfile.py")
    session.run("lint-imports", "--no-cache", env={"PYTHONPATH": SOURCE_PATH})


@nox.session(python=PYTHON)
def directory(session: nox.Session) -> None:
    """Regenerate src/faceswap_core/plugin/directory.json from the plugins' declarations."""
    session.install("-e", ".")
    session.run(
        "python",
        "-m",
        "faceswap_core.plugin.directory",
        "src/faceswap_core/plugin/directory.json",
        *[f"{path}/pyproject.toml" for path in PLUGIN_PATHS],
    )


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on core and every plugin."""
    install_all(session)
    session.install("mypy>=1.11", "types-PyYAML", "types-defusedxml")
    session.run("mypy", "--strict", "src", *[f"{path}/src" for path in PLUGIN_PATHS])


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The README's main job: a real swap on sample faces with the embedded models, offline."""
    session.install("-e", ".", "-e", "plugins/faceswap_retinaface")
    out = session.posargs[0] if session.posargs else "demo-output"
    session.run("faceswap", "demo", "-o", out)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Per-stage latency and FPS at 720p with the embedded defaults (prints a table and JSON)."""
    session.install("-e", ".", "-e", "plugins/faceswap_retinaface")
    args = session.posargs or ["--size", "1280x720", "--faces", "1", "--repeat", "30"]
    env = {"OMP_NUM_THREADS": str(os.cpu_count() or 1)}
    session.run("faceswap", "bench", *args, env=env)
    if not session.posargs:  # the video path: 1280x720 at 25 fps, detect every 1 and 5, stream
        session.run("faceswap", "bench", "--video", "--size", "1280x720", env=env)


@nox.session(python=PYTHON)
def lock(session: nox.Session) -> None:
    """Regenerate requirements/lock-py311.txt from a clean install of the full stack."""
    install_all(session)
    session.run("python", "requirements/make_lock.py", "requirements/lock-py311.txt")
