"""``faceswap train`` and ``faceswap.train``: one function from a config file to a finished run.

Core knows no trainer. It loads and validates the config, builds the runner
named in ``train: {type: ...}`` through the registry (faceswap-unet registers
``train``), lets it check its inputs, creates the work_dir, and hands the
runner the resolved config and the folder. A runner section that is missing,
or a runner nobody registered, is an error naming what to install. Resuming
continues in an existing run folder whose saved config matches.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from faceswap_core.config.convert import structure, unstructure
from faceswap_core.config.loader import dump_config, load_config
from faceswap_core.config.schema import ComponentRef, ExperimentConfig
from faceswap_core.config.yaml_safe import read_yaml
from faceswap_core.errors import ConfigError, InputError, one_line
from faceswap_core.experiment.loop import POINTER_NAME
from faceswap_core.experiment.workdir import DEFAULT_ROOT, WorkDir, create_work_dir
from faceswap_core.interfaces.jobs import CheckedRunner, Runner
from faceswap_core.io.atomic import atomic_write_text
from faceswap_core.models.store import ModelStore
from faceswap_core.plugin.context import BuildContext
from faceswap_core.plugin.kinds import RUNNER
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins
from faceswap_core.plugin.references import component_refs, validate_refs

DEFAULT_RUNNER = "train"
HANDOFF_TIMEOUT_S = 300.0
RESUMABLE_KEYS: frozenset[str] = frozenset({"train.steps", "work_dir"})
"""Config keys a resumed run may change (train longer); everything else must match."""


@attrs.frozen
class RunResult:
    """What a finished run reports (``faceswap train --json`` prints :meth:`to_dict`)."""

    work_dir: Path
    best_checkpoint: Path | None
    last_checkpoint: Path | None
    steps: int
    metrics: dict[str, float]
    summary: dict[str, Any] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary,
            "work_dir": str(self.work_dir),
            "best_checkpoint": None if self.best_checkpoint is None else str(self.best_checkpoint),
            "last_checkpoint": None if self.last_checkpoint is None else str(self.last_checkpoint),
            "steps": self.steps,
            "metrics": dict(self.metrics),
        }


TRAINING_SECTIONS: tuple[str, ...] = ("data", "train")


def resolve_experiment(config: ExperimentConfig, plugins: FaceswapPlugins) -> ExperimentConfig:
    """Validate the ``data`` / ``train`` references (nested ones too) and fill in their defaults.

    The saved ``config.yaml`` then shows every value the run used, not only the
    ones the file set (mmengine's dumped config). The ``pipeline`` section is
    not checked here: training does not build it.
    """
    refs = [
        ref
        for ref in component_refs(config)
        if ref[0].split(".")[1].split("[")[0] in TRAINING_SECTIONS
    ]
    resolved = validate_refs(refs, plugins)

    def filled(ref: ComponentRef | None, path: str) -> ComponentRef | None:
        params = resolved.get(path)
        if not isinstance(ref, Mapping) or params is None:
            return ref
        return {"type": ref["type"], **unstructure(params)}

    return attrs.evolve(
        config, data=filled(config.data, "$.data"), train=filled(config.train, "$.train")
    )


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, Mapping):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out or {prefix.rstrip("."): {}}
    return {prefix.rstrip("."): data}


def config_differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Dotted keys whose values differ, except those a resume may change."""
    a, b = _flatten(old), _flatten(new)
    return sorted(
        key for key in set(a) | set(b) if a.get(key) != b.get(key) and key not in RESUMABLE_KEYS
    )


def find_resume_dir(root: str | os.PathLike[str], name: str) -> Path:
    """The newest ``<name>-*`` run under ``root`` that has a checkpoint to resume from."""
    base = Path(root)
    candidates = [
        path
        for path in (base.glob(f"{name}-*") if base.is_dir() else [])
        if (path / "checkpoints" / POINTER_NAME).is_file()
    ]
    if not candidates:
        raise InputError(
            f"nothing to resume: no run of {name!r} with a checkpoint under {base}; "
            "pass the run folder (--resume RUN_DIR) or start without --resume"
        )
    return max(
        candidates, key=lambda p: ((p / "checkpoints" / POINTER_NAME).stat().st_mtime, p.name)
    )


def run_record(runner: Runner) -> dict[str, Any]:
    """What ``status.json`` says about the run's model besides its state.

    ``swapper``: the registered swapper that loads this runner's checkpoints
    (a runner declares it as its ``swapper`` attribute), so ``faceswap eval
    --run`` evaluates the trained model, not the config's inference pipeline.
    """
    swapper = getattr(runner, "swapper", None)
    return {"swapper": {"type": swapper}} if isinstance(swapper, str) and swapper else {}


def read_run_record(run: str | os.PathLike[str]) -> dict[str, Any]:
    """A run folder's ``status.json`` (``{}`` when it has none or it is unreadable)."""
    file = Path(run) / "status.json"
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _runner_ref(config: ExperimentConfig, config_path: str | os.PathLike[str]) -> ComponentRef:
    if config.train is None:
        raise ConfigError(
            f"{config_path}: no train: section; add train: {{type: {DEFAULT_RUNNER}, ...}} "
            "(see configs/face_swap/smoke.yaml)"
        )
    return config.train


def _readme_rerun(folder: WorkDir) -> None:
    saved = shlex.join(["faceswap", "train", "--config", str(folder.config)])
    resume = shlex.join(
        ["faceswap", "train", "--config", str(folder.config), "--resume", str(folder.path)]
    )
    extra = (
        "\n## Rerun from the saved config\n\n"
        "The resolved config reproduces the run's metrics on the same machine and\n"
        "environment (a new run folder is created next to this one):\n\n"
        f"```sh\n{saved}\n```\n\n"
        "Continue it (more steps with `--set train.steps=N`):\n\n"
        f"```sh\n{resume}\n```\n"
    )
    text = folder.readme.read_text(encoding="utf-8") if folder.readme.exists() else ""
    if "## Rerun from the saved config" not in text:
        atomic_write_text(folder.readme, text + extra)


def run_training(
    config_path: str | os.PathLike[str],
    overrides: Sequence[str] = (),
    *,
    work_dir: str | os.PathLike[str] | None = None,
    resume: bool | str | os.PathLike[str] = False,
    plugins: FaceswapPlugins | None = None,
    argv: Sequence[str] | None = None,
    root: str | os.PathLike[str] = DEFAULT_ROOT,
) -> RunResult:
    """Load CONFIG, build its runner and run it in a new (or resumed) work_dir.

    :param overrides: ``--set KEY.PATH=VALUE`` strings.
    :param work_dir: ``-o/--output``; wins over the config's ``work_dir``.
    :param resume: ``True`` resumes the newest run of this experiment under
        ``root``; a path resumes that run folder.
    :param argv: the command line recorded in the run's README and env.json.
    """
    manager = plugins if plugins is not None else get_plugins()
    loaded, _ = load_config(Path(config_path), overrides)
    config = resolve_experiment(loaded, manager)
    ref = _runner_ref(config, config_path)
    context = BuildContext(manager, ModelStore(), config.pipeline.runtime)
    runner: Runner = manager.build(RUNNER, ref, context=context, path="$.train")
    if isinstance(runner, CheckedRunner):
        runner.check(config)
    command = list(argv) if argv is not None else _command(config_path, overrides, work_dir)
    rank, world = launcher_rank()
    record = run_record(runner)
    if rank > 0:
        folder = WorkDir(await_work_dir(work_dir))
    elif resume is not False:
        folder = _resume_folder(config, config_path, resume, work_dir, root)
    else:
        folder = create_work_dir(
            config,
            argv=command,
            config_path=config_path,
            work_dir=work_dir,
            plugins=manager,
            root=root,
            status={"status": "running", "world_size": world, **record},
        )
    if rank == 0 and resume is not False:
        folder.set_status("running", world_size=world, **record)
    if rank == 0 and world > 1:
        publish_work_dir(folder.path)
    try:
        if rank == 0:
            _readme_rerun(folder)
        if resume is not False:
            summary = dict(runner.run(config, folder.path, resume=True))  # type: ignore[call-arg]
        else:
            summary = dict(runner.run(config, folder.path))
    except BaseException as exc:
        if rank == 0:
            with contextlib.suppress(OSError):  # the disk may be full: the first error wins
                folder.set_status(
                    "failed", error=one_line(str(exc)), error_type=type(exc).__name__, **record
                )
        raise
    finally:
        if rank == 0 and world > 1:
            _handoff_file().unlink(missing_ok=True)
    if rank == 0:
        folder.set_status("finished", **record)
    return _result(folder.path, summary)


# -- several processes (torchrun) -------------------------------------------------------
# torchrun starts the same command once per process and sets RANK / WORLD_SIZE.
# Rank 0 creates the run folder and hands its path to the others through a file
# named after the launch in the temporary folder. On several machines (where that
# folder is not shared) the other nodes use -o/--output, on a shared file system.


def launcher_rank() -> tuple[int, int]:
    """``(rank, world_size)`` set by torchrun (``(0, 1)`` for a single process)."""
    try:
        return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        raise ConfigError("RANK and WORLD_SIZE must be integers (as torchrun sets them)") from None


def _handoff_file() -> Path:
    launch = "-".join(
        os.environ.get(key, "x") for key in ("TORCHELASTIC_RUN_ID", "MASTER_ADDR", "MASTER_PORT")
    )
    safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in launch)
    return Path(tempfile.gettempdir()) / f"faceswap-launch-{safe}.json"


def _multi_node() -> bool:
    """Whether torchrun spread the ranks over several machines (then /tmp is not shared)."""
    try:
        local = int(os.environ.get("LOCAL_WORLD_SIZE", "0"))
        return 0 < local < int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return False


def publish_work_dir(path: Path) -> None:
    atomic_write_text(_handoff_file(), json.dumps({"work_dir": str(path.resolve())}))


def await_work_dir(
    work_dir: str | os.PathLike[str] | None = None, timeout_s: float = HANDOFF_TIMEOUT_S
) -> Path:
    """The run folder rank 0 created for this launch (waits until it is there)."""
    file = _handoff_file()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if file.is_file():
            try:
                return Path(json.loads(file.read_text(encoding="utf-8"))["work_dir"])
            except (OSError, ValueError, KeyError):
                pass
        elif work_dir is not None and _multi_node() and (Path(work_dir) / "config.yaml").is_file():
            return Path(work_dir)
        time.sleep(0.1)
    raise InputError(f"rank 0 did not create a run folder within {timeout_s:.0f} s ({file})")


def _command(
    config_path: str | os.PathLike[str],
    overrides: Sequence[str],
    work_dir: str | os.PathLike[str] | None,
) -> list[str]:
    command = ["faceswap", "train", "--config", os.fspath(config_path)]
    for text in overrides:
        command += ["--set", text]
    if work_dir is not None:
        command += ["--output", os.fspath(work_dir)]
    return command


def _resume_folder(
    config: ExperimentConfig,
    config_path: str | os.PathLike[str],
    resume: bool | str | os.PathLike[str],
    work_dir: str | os.PathLike[str] | None,
    root: str | os.PathLike[str],
) -> WorkDir:
    if resume is True:
        name = config.name or Path(config_path).stem
        path = Path(work_dir) if work_dir is not None else find_resume_dir(root, name)
    elif resume is False:
        raise ConfigError("internal: _resume_folder called without resume")
    else:
        path = Path(resume)
    folder = WorkDir(path)
    if not folder.config.is_file():
        raise InputError(f"cannot resume {path}: it is not a run folder (no config.yaml)")
    saved = read_yaml(folder.config)
    differences = config_differences(saved, unstructure(config))
    if differences:
        raise ConfigError(
            f"cannot resume {path}: the config differs from the run's in {', '.join(differences)}; "
            "only train.steps may change on resume (start a new run instead)"
        )
    structure(saved, ExperimentConfig)  # the saved file must still be a valid config
    atomic_write_text(folder.config, dump_config(config))
    return folder


def _result(path: Path, summary: Mapping[str, Any]) -> RunResult:
    def as_path(value: Any) -> Path | None:
        return None if value in (None, "") else Path(str(value))

    metrics = summary.get("metrics") or {}
    return RunResult(
        work_dir=path,
        best_checkpoint=as_path(summary.get("best_checkpoint")),
        last_checkpoint=as_path(summary.get("last_checkpoint")),
        steps=int(summary.get("steps", 0)),
        metrics={str(k): v for k, v in metrics.items()},
        summary={
            k: v
            for k, v in summary.items()
            if k not in ("work_dir", "best_checkpoint", "last_checkpoint", "steps", "metrics")
        },
    )


__all__ = [
    "RESUMABLE_KEYS",
    "RunResult",
    "config_differences",
    "find_resume_dir",
    "read_run_record",
    "resolve_experiment",
    "run_record",
    "run_training",
]
