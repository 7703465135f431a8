"""Every development task of faceswap: `nox -l` lists them.

Each session builds its own virtualenv from the project's files, so a fresh
machine with only Python 3.11 can run any of them.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"
ROOT = Path(__file__).parent
PLUGINS = ("faceswap_retinaface", "faceswap_unet", "faceswap_trt", "faceswap_rest", "faceswap_ray")
PLUGIN_PATHS = [f"plugins/{name}" for name in PLUGINS]
PLUGIN_EXTRAS = {"faceswap_rest": "[test]"}
"""Extras a plugin's own tests need (faceswap-rest: httpx2, jsonschema, openapi-spec-validator)."""
PLUGIN_TEST_DETECTOR = ("faceswap_ray",)
"""Plugins whose tests swap real faces with the default pipeline (its detector is retinaface)."""
TEST_ENV = {"FACESWAP_STRICT_PLUGINS": "1", "OMP_NUM_THREADS": "2", "PYTHONDONTWRITEBYTECODE": "1"}


def install_all(session: nox.Session) -> None:
    plugins = [f"plugins/{name}{PLUGIN_EXTRAS.get(name, '')}" for name in PLUGINS]
    session.install("-e", ".[test]", *[arg for path in plugins for arg in ("-e", path)])


FULL_STACK = ROOT / ".nox" / "tests"
"""The environment `nox -s tests` builds: core and every plugin, torch, Ray, c2pa..."""


def full_stack_python(session: nox.Session) -> str:
    """The Python of :data:`FULL_STACK`, built by `nox -s tests --install-only` if missing.

    Sessions that need the whole stack but not an environment of their own (typecheck,
    chain_train) run there: one install of torch and Ray (minutes and gigabytes) instead
    of one per session.
    """
    python = FULL_STACK / "bin" / "python"
    if not python.exists():
        session.run(sys.executable, "-m", "nox", "-s", "tests", "--install-only", external=True)
    return str(python)


CHROMIUM = Path("/usr/bin/chromium")
"""Debian's chromium: tests/integration/test_report_browser.py renders the HTML reports in it."""


def ensure_chromium(session: nox.Session) -> None:
    """Install Debian's ``chromium`` with apt when it is missing (about 25 s on a fresh
    Debian 12 machine: ~115 packages, 113 MB). Without apt-get or root the browser
    test skips and says why."""
    if CHROMIUM.exists():
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        session.warn(f"{CHROMIUM} missing and apt-get as root unavailable: the browser test skips")
        return
    started = time.monotonic()
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run("apt-get", "update", "-q", external=True, env=env)
    session.run("apt-get", "install", "-y", "-q", "chromium", external=True, env=env)
    session.log(f"installed chromium in {time.monotonic() - started:.0f} s")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole suite with every plugin installed (what CI runs)."""
    install_all(session)
    ensure_chromium(session)
    session.run(
        "pytest",
        "tests",
        *[f"{path}/tests" for path in PLUGIN_PATHS],
        *[f"--cov={name}" for name in PLUGINS],
        "--hypothesis-profile=ci",
        "--durations=20",  # where CI's minutes go
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


DEPLOYMENT = ("faceswap_retinaface", "faceswap_trt")
"""The edge deployment `nox -s isolation` proves: core, the detector plugin and TensorRT."""


UNET_EXPORT = ROOT / ".nox" / "_artifacts" / "unet_export" / "swapper.onnx"
"""Where `nox -s unet_export` writes the U-Net export that `nox -s isolation` deploys."""


@nox.session(python=PYTHON)
def unet_export(session: nox.Session) -> None:
    """A real U-Net export for the torch-free deployment check, made where torch is.

    Writes a seeded faceswap-unet checkpoint (random weights, the smoke config's
    size; `python -m faceswap_unet.testing`) and exports it with `faceswap export
    onnx` to .nox/_artifacts/unet_export/swapper.onnx (+ swapper.export.json, and the
    recognizer graph and probe faces beside it: faceswap-retinaface finds the probe faces).
    `nox -s isolation` runs this first.
    """
    session.install("-e", ".", "-e", "plugins/faceswap_retinaface", "-e", "plugins/faceswap_unet")
    folder = UNET_EXPORT.parent
    shutil.rmtree(folder, ignore_errors=True)
    session.run("python", "-m", "faceswap_unet.testing", str(folder / "checkpoint"), env=TEST_ENV)
    session.run(
        "faceswap", "export", "onnx", "--checkpoint", str(folder / "checkpoint"),
        "--out", str(UNET_EXPORT), "--json", env=TEST_ENV,
    )  # fmt: skip


@nox.session(python=PYTHON, requires=["unet_export"])
def isolation(session: nox.Session) -> None:
    """faceswap-core + faceswap-trt + faceswap-retinaface alone (no torch): imports, lists its
    plugins, and swaps real faces through a real U-Net export (made by `nox -s unet_export`
    in a venv with torch) with --runtime tensorrt (TensorRT where present, else the plugin's
    ONNX Runtime fallback).
    """
    if not UNET_EXPORT.is_file():
        session.error(f"{UNET_EXPORT} is missing: nox -s unet_export writes it")
    session.install(".[test]", *[f"plugins/{name}" for name in DEPLOYMENT])
    session.run(
        "python",
        "-c",
        "import sys, importlib.util as u, faceswap, faceswap_core.cli.main, faceswap_trt.hooks;"
        "assert u.find_spec('torch') is None, 'torch is installed';"
        "assert 'torch' not in sys.modules, 'something imported torch';"
        "print('faceswap-core + faceswap-trt + faceswap-retinaface import without torch')",
    )
    output = session.run("faceswap", "plugins", silent=True) or "[]"
    names = sorted(row["name"] for row in json.loads(output))
    expected = sorted(name.replace("_", "-") for name in DEPLOYMENT)
    if names != expected:
        session.error(f"faceswap plugins should list {expected}, got {names}")
    session.log(f"faceswap plugins -> {names}")
    session.run("faceswap", "components", "runtime")
    session.run(
        "pytest",
        "tests/integration/test_deployment.py",
        "--no-cov",
        env={**TEST_ENV, "FACESWAP_ISOLATION": "1", "FACESWAP_UNET_EXPORT": str(UNET_EXPORT)},
    )


CHAIN = ROOT / ".nox" / "_artifacts" / "chain"
"""Where `nox -s chain_train` leaves the run, its evaluation and its export for `nox -s chain`."""


@nox.session(venv_backend="none")
def chain_train(session: nox.Session) -> None:
    """The training half of `nox -s chain`, where torch is (`.ci/chain.py train`, in the
    full stack of `nox -s tests`): an LFW-layout folder of real faces, `data lfw prepare`,
    `train` (smoke config, 20 steps), `eval --run RUN`, `export onnx --run RUN`."""
    python = full_stack_python(session)
    shutil.rmtree(CHAIN, ignore_errors=True)
    session.run(python, ".ci/chain.py", "train", str(CHAIN), env=TEST_ENV, external=True)


@nox.session(python=PYTHON, requires=["chain_train"])
def chain(session: nox.Session) -> None:
    """One model from training to deployment (run by .ci/run): after `nox -s chain_train`, in
    a venv without torch (core, faceswap-retinaface, faceswap-rest), `eval --model onnx` of the
    export on the same data must agree with `eval --run` (identity cosines and SSIM within
    0.02), and one swap through `faceswap serve` (uvicorn on 127.0.0.1) must equal `faceswap
    swap`. Prints one summary JSON line."""
    if not (CHAIN / "train.json").is_file():
        session.error(f"{CHAIN / 'train.json'} is missing: nox -s chain_train writes it")
    session.install(".", "plugins/faceswap_retinaface", "plugins/faceswap_rest")
    session.run("python", ".ci/chain.py", "deploy", str(CHAIN), env=TEST_ENV)


@nox.session(python=PYTHON)
@nox.parametrize("plugin", PLUGINS)
def plugin(session: nox.Session, plugin: str) -> None:
    """Core plus one plugin: the plugin's own tests pass in isolation."""
    session.install("-e", ".[test]", "-e", f"plugins/{plugin}{PLUGIN_EXTRAS.get(plugin, '')}")
    if plugin in PLUGIN_TEST_DETECTOR:
        session.install("-e", "plugins/faceswap_retinaface")
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
def surface(session: nox.Session) -> None:
    """Regenerate src/faceswap/_operations.py (the faceswap.* functions) from the specs."""
    session.install("-e", ".")
    session.run("python", "-m", "faceswap_core.operations.pysig", "src/faceswap/_operations.py")


@nox.session(venv_backend="none")
def typecheck(session: nox.Session) -> None:
    """mypy --strict on core and every plugin, in the full stack of `nox -s tests`."""
    python = full_stack_python(session)
    stubs = ("mypy>=1.11", "types-PyYAML", "types-defusedxml")
    session.run(python, "-m", "pip", "install", "-q", *stubs, external=True)
    paths = ["src", *[f"{path}/src" for path in PLUGIN_PATHS]]
    session.run(python, "-m", "mypy", "--strict", *paths, external=True)


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The README's main job: a real swap on sample faces with the embedded models, offline."""
    session.install("-e", ".", "-e", "plugins/faceswap_retinaface")
    out = session.posargs[0] if session.posargs else "demo-output"
    session.run("faceswap", "demo", "-o", out)


@nox.session(python=PYTHON)
def sharpness(session: nox.Session) -> None:
    """How much detail and identity the swapper keeps on the sample pairs: the sharpness
    (variance of the Laplacian over the inner face) of source, target and result, and the
    dlib identity distance before and after, for tom_hanks -> astronaut, the demo pair and
    every pair of t1's faces (``python -m faceswap_core.tools.sharpness``)."""
    session.install("-e", ".", "-e", "plugins/faceswap_retinaface")
    session.run("python", "-m", "faceswap_core.tools.sharpness", env=TEST_ENV)


BENCH_RECORD = "work_dirs/bench/bench.json"
BENCH_BASELINE = "benchmarks/baseline.json"


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Per-stage latency at 720p gated against benchmarks/baseline.json (fails at 2x slower),
    the video path (1280x720 at 25 fps: detect every 1 and 5, and the stream), then training
    throughput (images/s at 128 px, batch 8; faceswap-unet's ``bench-train``:
    CPU, plus CUDA with AMP when a GPU is present), then U-Net inference of the smoke, default
    and baseline architectures at batch 1 and 4 (the video path's swap batch), in torch and in
    their fp32 and int8 ONNX exports on ONNX Runtime with the same thread count
    (faceswap-unet's ``bench-export``; the ratios are printed, the record is
    ``work_dirs/bench/export.json``).

    ``nox -s bench -- --update-baseline`` rewrites the baseline from this run instead;
    other arguments replace the default ``faceswap bench`` arguments.
    """
    session.install("-e", ".", "-e", "plugins/faceswap_retinaface", "-e", "plugins/faceswap_unet")
    update = "--update-baseline" in session.posargs
    args = [arg for arg in session.posargs if arg != "--update-baseline"] or [
        "--size", "1280x720", "--faces", "1", "--repeat", "30", "--warmup", "3",
    ]  # fmt: skip
    env = {"OMP_NUM_THREADS": str(os.cpu_count() or 1)}
    gate = [] if update else ["--baseline", BENCH_BASELINE]  # the one regression gate: exit 6
    session.run("faceswap", "bench", *args, "-o", BENCH_RECORD, *gate, env=env)
    if update:
        compare = ["python", "-m", "faceswap_core.tools.bench_compare", BENCH_RECORD]
        session.run(*compare, BENCH_BASELINE, "--update")
    if not session.posargs:  # the video path: 1280x720 at 25 fps, detect every 1 and 5, stream
        session.run("faceswap", "bench", "--video", "--size", "1280x720", env=env)
    session.run("faceswap", "bench-train", "--size", "128", "--batch", "8", env=env)
    session.run(
        "faceswap", "bench-export", "--batch", "1", "--batch", "4",
        "-o", "work_dirs/bench/export.json", env=env,
    )  # fmt: skip


@nox.session(python=PYTHON)
def provenance(session: nox.Session) -> None:
    """The cost of C2PA signing: per image (PNG, JPEG, WebP at 1280x720), per minute of
    720p video, the bytes a manifest adds, and loading a signer (es256, ps256, ed25519).
    Prints a table and writes ``work_dirs/bench/provenance.json``; arguments replace the
    defaults (``-- --seconds 10 --repeat 5``)."""
    session.install("-e", ".[c2pa]")
    args = session.posargs or ["--seconds", "60", "--repeat", "15"]
    session.run(
        "python", "-m", "faceswap_core.tools.provenance_bench", *args,
        "--output", "work_dirs/bench/provenance.json",
    )  # fmt: skip


@nox.session(python=PYTHON)
def bench_ray(session: nox.Session) -> None:
    """The ``ray`` runner against ``local`` on one folder: throughput, per-image overhead and
    their ratio with 1 and 2 workers on a Ray instance started on this machine (prints only)."""
    session.install("-e", ".", "-e", "plugins/faceswap_retinaface", "-e", "plugins/faceswap_ray")
    args = session.posargs or ["--images", "24", "--workers", "1", "--workers", "2"]
    session.run("python", "-m", "faceswap_ray.bench", *args, env={"OMP_NUM_THREADS": "1"})


@nox.session(python=PYTHON)
def lock(session: nox.Session) -> None:
    """Regenerate requirements/lock-py311.txt from a clean install of the full stack."""
    install_all(session)
    session.run(
        "python", "requirements/make_lock.py", "requirements/lock-py311.txt", "--extra", "c2pa"
    )
