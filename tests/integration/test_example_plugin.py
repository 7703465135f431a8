"""examples/faceswap-hello works as a real third-party plugin.

The slow test installs it with pip into a fresh virtual environment, the way a
user would, and runs ``faceswap plugins`` and the example's own tests there.
The venv reaches this interpreter's packages (faceswap-core, dlib, pytest)
through a ``.pth`` file instead of downloading them again, so it takes seconds.
"""

from __future__ import annotations

import importlib.util
import json
import os
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "faceswap-hello"


def _run(
    args: list[str], *, cwd: Path = REPO, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"FACESWAP_LOAD_PLUGINS", "PYTHONPATH"}
    }
    env["FACESWAP_STRICT_PLUGINS"] = "1"
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def test_hooks_module_is_thin() -> None:
    """Listing plugins must not pay for dlib: the hooks module imports no heavy dependency."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import faceswap_hello.hooks; "
        "heavy = {'dlib', 'numpy', 'cv2', 'faceswap_hello.detector'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    done = _run([sys.executable, "-c", code, str(EXAMPLE / "src")])
    assert done.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def example_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with faceswap-hello pip-installed and this interpreter's packages visible."""
    root = tmp_path_factory.mktemp("venv") / "hello-env"
    venv.EnvBuilder(with_pip=False).create(root)
    python = root / "bin" / "python"
    purelib = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
        ).stdout.strip()
    )
    # addsitedir (not a bare path) so the editable installs' own .pth files are honoured too.
    parents = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (purelib / "_faceswap_test_parent.pth").write_text(
        "".join(f"import site; site.addsitedir({p!r})\n" for p in parents)
    )
    install = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python),
        "install",
        "--no-deps",
        "--quiet",
    ]
    if importlib.util.find_spec("hatchling") is not None:
        install.append("--no-build-isolation")  # offline: build with the hatchling we have
    _run([*install, str(EXAMPLE)])
    return root


@pytest.mark.slow
def test_installed_example_is_listed_by_faceswap_plugins(example_venv: Path) -> None:
    python = str(example_venv / "bin" / "python")
    done = _run([python, "-m", "faceswap_core", "plugins", "--hook", "register_detectors"])
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert rows["faceswap-hello"] == {
        "name": "faceswap-hello",
        "version": "0.1.0",
        "entry_point": "hello = faceswap_hello.hooks",
        "hooks": ["register_detectors"],
        "components": {"detector": ["hog"]},
    }
    # Installed into the venv, not picked up from the source tree.
    where = _run([python, "-c", "import faceswap_hello; print(faceswap_hello.__file__)"]).stdout
    assert Path(where.strip()).is_relative_to(example_venv)


@pytest.mark.slow
def test_example_own_tests_pass_when_installed(example_venv: Path) -> None:
    python = str(example_venv / "bin" / "python")
    done = _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=EXAMPLE)
    assert " passed" in done.stdout
    assert "failed" not in done.stdout
    assert "skipped" not in done.stdout
