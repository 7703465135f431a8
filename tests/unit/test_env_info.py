"""Environment capture: stable env_hash, lock matching, the runtime lock file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceswap_core.experiment.env import (
    PROJECT_DISTRIBUTIONS,
    capture_env,
    conda_info,
    env_hash,
    freeze,
    installed_distributions,
    lock_match,
    read_lock,
    runtime_closure,
)

ROOT = Path(__file__).resolve().parents[2]


def test_env_hash_is_stable_and_order_independent() -> None:
    a = {"numpy": "2.0.0", "attrs": "24.1.0"}
    b = {"attrs": "24.1.0", "numpy": "2.0.0"}
    assert env_hash(a) == env_hash(b)
    assert len(env_hash(a)) == 64


def test_env_hash_changes_when_a_version_changes() -> None:
    packages = installed_distributions()
    bumped = dict(packages, numpy=packages["numpy"] + ".post99")
    assert env_hash(bumped) != env_hash(packages)
    assert env_hash({**packages, "extra-dist": "1.0"}) != env_hash(packages)


def test_env_hash_uses_canonical_names() -> None:
    assert env_hash({"PyYAML": "6.0"}) == env_hash({"pyyaml": "6.0"})
    assert env_hash({"typing_extensions": "4"}) == env_hash({"typing-extensions": "4"})


@settings(max_examples=40, deadline=None)
@given(
    packages=st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True),
        st.from_regex(r"[0-9]{1,2}\.[0-9]{1,2}", fullmatch=True),
        max_size=6,
    )
)
def test_env_hash_equal_iff_same_package_set(packages: dict[str, str]) -> None:
    same = dict(reversed(list(packages.items())))
    assert env_hash(same) == env_hash(packages)
    for name in packages:
        assert env_hash({**packages, name: packages[name] + "1"}) != env_hash(packages)


def test_capture_env_records_what_env_json_needs(tmp_path: Path) -> None:
    env = capture_env(lock_dir=tmp_path, gpu=False)
    assert env["python"]["version"].startswith(f"{sys.version_info.major}.")
    assert env["cpu"]["count"] >= 1
    assert env["gpu"] is None
    assert env["packages"]["faceswap-core"] == "0.1.0"
    assert env["env_hash"] == env_hash(env["packages"])
    assert env["lock_match"] is None  # no lock files in tmp_path
    json.dumps(env)  # JSON-ready


def test_two_captures_on_the_same_environment_have_equal_hashes() -> None:
    assert capture_env(gpu=False)["env_hash"] == capture_env(gpu=False)["env_hash"]


def test_git_revision_and_dirty_flag_inside_a_checkout(tmp_path: Path) -> None:
    git = "git"

    def run(*args: str) -> None:
        subprocess.run([git, *args], cwd=tmp_path, check=True, capture_output=True)

    try:
        run("init", "-q")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("git is not installed")
    (tmp_path / "f.txt").write_text("1")
    run("add", "f.txt")
    run("-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "init")
    head = subprocess.run(
        [git, "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    clean = capture_env(repo_dir=tmp_path, lock_dir=tmp_path, gpu=False)["git"]
    assert clean == {"root": str(tmp_path.resolve()), "revision": head, "dirty": False}
    (tmp_path / "f.txt").write_text("2")
    assert capture_env(repo_dir=tmp_path, lock_dir=tmp_path, gpu=False)["git"]["dirty"] is True


def test_outside_a_checkout_git_is_null(tmp_path: Path) -> None:
    assert capture_env(repo_dir=tmp_path, lock_dir=tmp_path, gpu=False)["git"] is None


def test_lock_match_reports_best_lock_and_mismatch_count(tmp_path: Path) -> None:
    installed = {"numpy": "2.0.0", "attrs": "24.1.0", "click": "8.1.0"}
    (tmp_path / "lock-py311.txt").write_text("# pinned\nnumpy==2.0.0\nattrs==24.1.0\n")
    (tmp_path / "lock-py312.txt").write_text("numpy==1.26.0\nattrs==23.0\nrich==13\n")
    match = lock_match(installed, tmp_path)
    assert match is not None
    assert match["path"].endswith("lock-py311.txt")
    assert (match["matches"], match["mismatches"]) == (True, 0)
    worse = lock_match({"numpy": "1.0"}, tmp_path)
    assert worse is not None
    assert worse["mismatches"] == 2
    assert "numpy==2.0.0 (installed: 1.0)" in worse["mismatched"]


def test_read_lock_ignores_comments_options_and_markers(tmp_path: Path) -> None:
    lock = tmp_path / "lock-x.txt"
    lock.write_text(
        "-e .\n# c\nPyYAML==6.0.1 ; python_version >= '3.8'\nrich[jupyter]==13.0  # x\n"
    )
    assert read_lock(lock) == {"pyyaml": "6.0.1", "rich": "13.0"}


def test_conda_info_only_when_conda_prefix_is_set(tmp_path: Path) -> None:
    assert conda_info({}) is None
    meta = tmp_path / "conda-meta"
    meta.mkdir()
    (meta / "python-3.11.7-h1.json").write_text("{}")
    (tmp_path / "environment.yml").write_text("name: face_swap\n")
    info = conda_info({"CONDA_PREFIX": str(tmp_path), "CONDA_DEFAULT_ENV": "face_swap"}, tmp_path)
    assert info is not None
    assert info["name"] == "face_swap"
    assert info["packages_hash"] is not None
    assert info["environment_file_hash"] is not None
    (meta / "numpy-2.0-h2.json").write_text("{}")
    again = conda_info({"CONDA_PREFIX": str(tmp_path)}, tmp_path)
    assert again is not None
    assert again["packages_hash"] != info["packages_hash"]


def test_runtime_closure_follows_dependencies_and_skips_project_dists() -> None:
    pinned, _ = runtime_closure()
    installed = installed_distributions()
    for name in ("pluggy", "attrs", "cattrs", "numpy", "onnxruntime", "pyyaml"):
        assert pinned[name] == installed[name]
    for own in PROJECT_DISTRIBUTIONS:
        assert own not in pinned
    # Dev tools are not runtime dependencies of any faceswap distribution.
    assert "mypy" not in pinned
    assert "pytest" not in pinned
    with_test, _ = runtime_closure(["faceswap-core"], extras=["test"])
    assert "pytest" in with_test
    assert "c2pa-python" not in pinned  # an optional extra, followed only when asked
    # faceswap-ray needs faceswap-core (without extras): the root's extra is still followed
    with_c2pa, _ = runtime_closure(["faceswap-core", "faceswap-ray"], extras=["c2pa"])
    assert with_c2pa["c2pa-python"] == installed["c2pa-python"]
    assert "ray" in with_c2pa


def test_committed_lock_pins_the_runtime_stack_only() -> None:
    text = (ROOT / "requirements" / "lock-py311.txt").read_text(encoding="utf-8")
    pins = read_lock(ROOT / "requirements" / "lock-py311.txt")
    for name in ("pluggy", "attrs", "cattrs", "click", "pyyaml", "numpy", "onnxruntime"):
        assert name in pins
    assert not [n for n in pins if n.startswith("faceswap")]
    assert "python -m faceswap_core.experiment.env lock requirements/lock-py311.txt" in text
    assert "faceswap-core==" not in freeze()


def test_lock_command_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "lock.txt"
    done = subprocess.run(
        [sys.executable, "-m", "faceswap_core.experiment.env", "lock", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert read_lock(out) == runtime_closure()[0]
