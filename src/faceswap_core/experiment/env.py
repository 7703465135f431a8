"""What a run ran on: Python, platform, hardware, packages, git state, lock match.

``env.json`` in every work_dir comes from :func:`capture_env`. Its
``env_hash`` is the sha256 of the sorted ``name==version`` list of installed
distributions, so two runs with equal hashes ran on the same package set.
:func:`freeze` writes the pinned lock of the project's runtime stack
(``requirements/lock-py311.txt``); regenerate it with
``python -m faceswap_core.experiment.env lock requirements/lock-py311.txt``.
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from packaging.markers import UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from faceswap_core.io.atomic import atomic_write_text
from faceswap_core.io.hashing import sha256_bytes, sha256_file
from faceswap_core.runtime.gpu import find_gpus

# Our own distributions: the roots of the lock, never pinned in it.
PROJECT_DISTRIBUTIONS: tuple[str, ...] = (
    "faceswap-core",
    "faceswap-retinaface",
    "faceswap-unet",
    "faceswap-trt",
    "faceswap-rest",
)
LOCK_GLOB = "lock-*.txt"
SUBPROCESS_TIMEOUT_S = 10.0


def installed_distributions() -> dict[str, str]:
    """``{canonical name: version}`` of every distribution visible to this interpreter.

    When a name is visible twice on ``sys.path``, the first one (the one
    imports would use) wins.
    """
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name:
            continue
        found.setdefault(canonicalize_name(name), dist.version)
    return dict(sorted(found.items()))


def requirement_lines(packages: Mapping[str, str]) -> list[str]:
    """Sorted ``name==version`` lines with canonical names."""
    return sorted(f"{canonicalize_name(name)}=={version}" for name, version in packages.items())


def env_hash(packages: Mapping[str, str]) -> str:
    """sha256 of the sorted ``name==version`` list: equal package sets, equal hash."""
    text = "\n".join(requirement_lines(packages)) + "\n"
    return sha256_bytes(text.encode("utf-8"))


def _run(args: Sequence[str], cwd: Path | None = None) -> str | None:
    """Output of a helper program, or ``None`` when it is missing, fails or hangs."""
    if shutil.which(args[0]) is None:
        return None
    try:
        done = subprocess.run(
            list(args),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=SUBPROCESS_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


_CPU_MODEL_KEYS = ("model name", "hardware", "processor", "cpu model")


def cpu_model() -> str:
    """The CPU model from ``/proc/cpuinfo`` (Linux), else what :mod:`platform` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                name, text = key.strip().lower(), value.strip()
                # x86 "processor" lines are CPU numbers; on ARM "Processor" names the model.
                if name in _CPU_MODEL_KEYS and text and not text.isdigit():
                    return text
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity), not the whole machine's.

    The one CPU probe of the project: benchmarks report it, and data loaders
    and thread pools size themselves by it.
    """
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def cpu_info() -> dict[str, Any]:
    """CPU model, logical CPUs of the machine, and CPUs usable by this process."""
    return {"model": cpu_model(), "count": os.cpu_count(), "usable": usable_cpus()}


def gpu_info() -> list[dict[str, Any]] | None:
    """GPUs as :func:`~faceswap_core.runtime.gpu.find_gpus` sees them; ``None`` without one."""
    found = find_gpus().gpus
    return [
        {"name": gpu.name, "memory_mib": gpu.memory_mib, "driver": gpu.driver} for gpu in found
    ] or None


def git_info(directory: str | os.PathLike[str] | None = None) -> dict[str, Any] | None:
    """Revision and dirty flag of the checkout containing ``directory`` (default: cwd)."""
    where = Path(directory) if directory is not None else Path.cwd()
    top = _run(["git", "rev-parse", "--show-toplevel"], cwd=where)
    revision = _run(["git", "rev-parse", "HEAD"], cwd=where)
    if top is None or revision is None:
        return None
    status = _run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=where)
    return {
        "root": top.strip(),
        "revision": revision.strip(),
        "dirty": None if status is None else bool(status.strip()),
    }


def conda_info(
    environ: Mapping[str, str] | None = None, project_root: Path | None = None
) -> dict[str, Any] | None:
    """When ``CONDA_PREFIX`` is set: env name, package set hash, environment.yml hash."""
    env = os.environ if environ is None else environ
    prefix = env.get("CONDA_PREFIX")
    if not prefix:
        return None
    meta = Path(prefix) / "conda-meta"
    # conda-meta holds one NAME-VERSION-BUILD.json per installed conda package.
    records = sorted(p.name for p in meta.glob("*.json")) if meta.is_dir() else []
    env_file = (project_root or Path.cwd()) / "environment.yml"
    return {
        "prefix": prefix,
        "name": env.get("CONDA_DEFAULT_ENV"),
        "packages_hash": sha256_bytes("\n".join(records).encode()) if records else None,
        "environment_file": str(env_file) if env_file.is_file() else None,
        "environment_file_hash": sha256_file(env_file) if env_file.is_file() else None,
    }


def read_lock(path: str | os.PathLike[str]) -> dict[str, str]:
    """``{canonical name: version}`` of the ``name==version`` lines of a lock file."""
    pins: dict[str, str] = {}
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;]+).*", line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(3)
    return pins


def lock_mismatches(lock: Mapping[str, str], installed: Mapping[str, str]) -> list[str]:
    """Lock entries the environment does not satisfy, as ``name==locked (installed: X)``."""
    out = []
    for name, version in sorted(lock.items()):
        have = installed.get(canonicalize_name(name))
        if have != version:
            out.append(f"{name}=={version} (installed: {have or 'none'})")
    return out


def lock_match(
    installed: Mapping[str, str], lock_dir: str | os.PathLike[str] | None
) -> dict[str, Any] | None:
    """The lock under ``lock_dir`` closest to ``installed`` (fewest mismatches), or ``None``."""
    if lock_dir is None or not Path(lock_dir).is_dir():
        return None
    best: dict[str, Any] | None = None
    for lock_path in sorted(Path(lock_dir).glob(LOCK_GLOB)):
        mismatched = lock_mismatches(read_lock(lock_path), installed)
        if best is None or len(mismatched) < best["mismatches"]:
            best = {
                "path": str(lock_path),
                "matches": not mismatched,
                "mismatches": len(mismatched),
                "mismatched": mismatched,
            }
    return best


def project_root() -> Path | None:
    """The source checkout of faceswap-core, when running from one (editable installs)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "src" / "faceswap_core").is_dir():
            return parent
    return None


def capture_env(
    *,
    packages: Mapping[str, str] | None = None,
    repo_dir: str | os.PathLike[str] | None = None,
    lock_dir: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    gpu: bool = True,
) -> dict[str, Any]:
    """Everything ``env.json`` records.

    :param packages: installed distributions (default: discovered); pass a
        mapping to describe another environment.
    :param repo_dir: where to look for a git checkout (default: cwd, then the
        faceswap-core source tree).
    :param lock_dir: folder of ``lock-*.txt`` files (default: ``requirements/``
        of the checkout).
    """
    installed = dict(packages) if packages is not None else installed_distributions()
    root = project_root()
    git = git_info(repo_dir) if repo_dir is not None else (git_info() or (root and git_info(root)))
    if lock_dir is None and root is not None:
        lock_dir = root / "requirements"
    return {
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "platform": {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
            "platform": platform.platform(),
        },
        "cpu": cpu_info(),
        "gpu": gpu_info() if gpu else None,
        "packages": {name: installed[name] for name in sorted(installed)},
        "env_hash": env_hash(installed),
        "git": git or None,
        "conda": conda_info(environ, root),
        "lock_match": lock_match(installed, lock_dir),
    }


# -- the lock file ---------------------------------------------------------------


def read_env(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """A run's ``env.json`` as a dict; ``None`` when it is missing or not a JSON object
    (reports show a run without its environment rather than refuse it)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _requires(name: str, extras: Iterable[str]) -> list[Requirement]:
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return []
    found = []
    for text in dist.requires or []:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.marker is not None:
            wanted = ["", *extras]
            try:
                if not any(requirement.marker.evaluate({"extra": e}) for e in wanted):
                    continue
            except UndefinedEnvironmentName:
                continue
        found.append(requirement)
    return found


def runtime_closure(
    roots: Iterable[str] = PROJECT_DISTRIBUTIONS, extras: Iterable[str] = ()
) -> tuple[dict[str, str], list[str]]:
    """Installed distributions the ``roots`` need at runtime, transitively.

    Returns ``({name: version}, [requirements that are not installed])``;
    the roots themselves are left out. ``extras`` also follows those extras
    of the roots (e.g. ``test``).
    """
    root_names = {canonicalize_name(r) for r in roots}
    extras = tuple(extras)
    installed = installed_distributions()
    pinned: dict[str, str] = {}
    missing: set[str] = set()
    queue: list[tuple[str, tuple[str, ...]]] = [(r, extras) for r in roots]
    seen: set[str] = set()
    while queue:
        name, wanted = queue.pop()
        key = canonicalize_name(name)
        if key in seen:
            continue
        seen.add(key)
        if key not in installed:
            missing.add(name)
            continue
        if key not in root_names:
            pinned[key] = installed[key]
        for requirement in _requires(name, wanted):
            queue.append((requirement.name, tuple(requirement.extras)))
    return dict(sorted(pinned.items())), sorted(missing)


def freeze(roots: Iterable[str] = PROJECT_DISTRIBUTIONS, extras: Iterable[str] = ()) -> str:
    """The text of a pinned lock of the runtime stack (deterministic: no dates)."""
    pinned, missing = runtime_closure(roots, extras)
    python = ".".join(platform.python_version_tuple()[:2])
    tag = python.replace(".", "")
    lines = [
        f"# Pinned runtime stack of faceswap for Python {python} ({platform.system()}).",
        "# Generated from an installed environment; regenerate with:",
        f"#   python -m faceswap_core.experiment.env lock requirements/lock-py{tag}.txt",
        "# The faceswap-* distributions themselves are installed from this checkout.",
    ]
    lines += [f"# not installed when generated: {name}" for name in missing]
    lines += requirement_lines(pinned)
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m faceswap_core.experiment.env {show,lock PATH}``."""
    import json

    parser = argparse.ArgumentParser(prog="python -m faceswap_core.experiment.env")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("show", help="print env.json for this interpreter")
    lock = sub.add_parser("lock", help="write the pinned runtime lock file")
    lock.add_argument("path", help="e.g. requirements/lock-py311.txt")
    lock.add_argument("--extra", action="append", default=[], help="also follow this extra")
    args = parser.parse_args(argv)
    if args.action == "show":
        print(json.dumps(capture_env(), indent=2))
        return 0
    atomic_write_text(args.path, freeze(extras=args.extra))
    print(f"wrote {args.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = [
    "PROJECT_DISTRIBUTIONS",
    "capture_env",
    "env_hash",
    "freeze",
    "installed_distributions",
    "lock_match",
    "read_env",
    "read_lock",
    "runtime_closure",
]
