"""Shipped configs are found by name: from the checkout and from an installed wheel.

``configs/face_swap/*.yaml`` at the repository root is the source of truth;
the wheel carries them as ``faceswap_core/configs/face_swap/`` package data.
The slow test installs faceswap-core into a fresh virtual environment (offline,
with the hatchling we have) and loads ``baseline`` there, outside any checkout.
"""

from __future__ import annotations

import importlib.util
import os
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from click.testing import CliRunner

import faceswap
from faceswap_core.cli.main import make_cli
from faceswap_core.config.loader import load_config, resolve_config, shipped_config_names
from faceswap_core.errors import ConfigError
from faceswap_core.plugin.manager import FaceswapPlugins

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "configs" / "face_swap"


def test_a_bare_name_finds_the_checkout_config() -> None:
    assert resolve_config("baseline").read_bytes() == (SHIPPED / "baseline.yaml").read_bytes()
    assert resolve_config("smoke.yaml").read_bytes() == (SHIPPED / "smoke.yaml").read_bytes()
    assert {"baseline", "smoke"} <= set(shipped_config_names())


def test_an_existing_path_wins_over_a_shipped_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("baseline").write_text("name: mine\n")
    assert resolve_config("baseline") == Path("baseline")
    config, _ = load_config("baseline")
    assert config.name == "mine"


def test_an_unknown_name_lists_the_shipped_configs() -> None:
    with pytest.raises(ConfigError, match=r"shipped: .*baseline.*smoke") as info:
        resolve_config("basline")
    assert info.value.exit_code == 2
    # A path (not a bare name) is never looked up among the shipped configs.
    assert resolve_config("no/such/dir/baseline.yaml") == Path("no/such/dir/baseline.yaml")
    with pytest.raises(ConfigError, match=r"config file not found: no/such/dir/baseline\.yaml"):
        load_config("no/such/dir/baseline.yaml")


def test_load_and_cli_accept_a_config_name(fresh_plugins: FaceswapPlugins) -> None:
    smoke, _ = load_config(SHIPPED / "smoke.yaml")
    assert faceswap.load("smoke").config == smoke.pipeline
    result = CliRunner().invoke(make_cli(fresh_plugins), ["config", "show", "smoke"])
    assert result.exit_code == 0, result.output
    assert "name: smoke" in result.output
    assert "crop_size: 128" in result.output


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "FACESWAP_LOAD_PLUGINS"}}
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.mark.slow
def test_installed_wheel_loads_shipped_configs_by_name(tmp_path: Path) -> None:
    root = tmp_path / "env"
    venv.EnvBuilder(with_pip=False).create(root)
    python = root / "bin" / "python"
    purelib = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path
        ).stdout.strip()
    )
    # Dependencies come from this interpreter; faceswap-core itself is installed from a wheel.
    parents = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (purelib / "_faceswap_test_parent.pth").write_text(
        "".join(f"import site; site.addsitedir({p!r})\n" for p in parents)
    )
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q"]
    if importlib.util.find_spec("hatchling") is not None:
        install.append("--no-build-isolation")
    _run([*install, str(REPO)], tmp_path)
    packaged = purelib / "faceswap_core" / "configs" / "face_swap"
    assert (packaged / "baseline.yaml").read_bytes() == (SHIPPED / "baseline.yaml").read_bytes()

    work = tmp_path / "elsewhere"
    work.mkdir()
    code = (
        "import faceswap, faceswap_core\n"
        "from faceswap_core.config.loader import resolve_config\n"
        "print(faceswap_core.__file__)\n"
        "print(resolve_config('smoke'))\n"
        "print(faceswap.load('smoke').config.faces)\n"
    )
    where, found, faces = _run([str(python), "-c", code], work).stdout.split()
    assert Path(where).is_relative_to(purelib)
    assert Path(found) == packaged / "smoke.yaml"
    assert faces == "largest"  # smoke inherits baseline through _base_, inside the package

    # the report templates are package data too: every page renders from the wheel
    checkout = REPO / "src" / "faceswap_core" / "eval" / "templates"
    shipped = purelib / "faceswap_core" / "eval" / "templates"
    assert sorted(p.name for p in shipped.iterdir()) == sorted(p.name for p in checkout.iterdir())
    code = (
        "from faceswap_core.eval.report import templates\n"
        "for name in ('eval.html.j2', 'training.html.j2', 'comparison.html.j2',"
        " 'mos_rating.html.j2'):\n"
        "    print(templates().get_template(name).filename)\n"
    )
    for filename in _run([str(python), "-c", code], work).stdout.split():
        assert Path(filename).is_relative_to(shipped)
