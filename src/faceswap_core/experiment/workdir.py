"""Run folders: ``work_dirs/<experiment>-<YYYYmmdd-HHMMSS>/`` and what goes in them.

Every run gets its own folder holding what is needed to understand and
repeat it: the resolved ``config.yaml``, ``env.json`` (python, packages,
``env_hash``, git revision), ``plugins.json``, ``logs/run.jsonl`` and a
``README.md`` with the exact command that reruns it. Folders are created
exclusively, so two runs started in the same second never share one, and an
existing run is never overwritten.

A run folder appears complete or not at all: its first files are written
into a hidden temporary sibling (``.NAME.tmp-*``) that is renamed into
place (a no-replace rename) only when they are all there. A full disk
while creating it leaves nothing behind. ``status.json`` is rewritten in
place when the disk is too full for an atomic write, so a run that fails
for lack of space is still marked ``failed``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import shlex
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from faceswap_core.config.loader import dump_config
from faceswap_core.errors import ConfigError, DiskFullError
from faceswap_core.experiment.env import capture_env
from faceswap_core.experiment.jsonlog import JsonLogger
from faceswap_core.io.atomic import (
    atomic_write_json,
    atomic_write_text,
    rename_noreplace,
    temp_path_for,
)
from faceswap_core.plugin.listing import plugin_listing
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins

if TYPE_CHECKING:
    from faceswap_core.config.schema import ExperimentConfig

DEFAULT_ROOT = Path("work_dirs")
TIMESTAMP_FORMAT = "%Y%m%d-%H%M%S"
MAX_SUFFIX = 1000


@attrs.frozen
class WorkDir:
    """The files of one run folder."""

    path: Path

    @property
    def config(self) -> Path:
        return self.path / "config.yaml"

    @property
    def env(self) -> Path:
        return self.path / "env.json"

    @property
    def plugins(self) -> Path:
        return self.path / "plugins.json"

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    @property
    def run_log(self) -> Path:
        return self.logs / "run.jsonl"

    @property
    def readme(self) -> Path:
        return self.path / "README.md"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def metrics_jsonl(self) -> Path:
        """One JSON record per logged step or eval (``experiment.metrics``)."""
        return self.path / "metrics.jsonl"

    @property
    def metrics_csv(self) -> Path:
        return self.path / "metrics.csv"

    @property
    def metrics_json(self) -> Path:
        """Final metrics; written only when a run finishes, so its presence means complete."""
        return self.path / "metrics.json"

    @property
    def plots(self) -> Path:
        return self.path / "plots"

    @property
    def samples(self) -> Path:
        return self.path / "samples"

    @property
    def status(self) -> Path:
        """``{"status": "running" | "finished" | "failed", ...}`` of the run."""
        return self.path / "status.json"

    def set_status(self, status: str, **fields: Any) -> None:
        """Record the run's state atomically (``running``, ``finished``, ``failed``).

        When the disk is too full for a temporary file, the existing
        ``status.json`` is rewritten in place (its blocks are already
        allocated), so a run that fails for lack of space is still marked.
        """
        body = {"status": status, **fields}
        try:
            atomic_write_json(self.status, body)
        except DiskFullError:
            if not self.status.is_file():
                raise
            _rewrite_in_place(self.status, json.dumps(body, indent=2) + "\n")

    def logger(self, **context: Any) -> JsonLogger:
        """A JSON-lines logger appending to ``logs/run.jsonl``."""
        return JsonLogger(self.run_log, context=context)


def _rewrite_in_place(path: Path, text: str) -> None:
    """Overwrite a small existing file without allocating: write from the start, cut the rest."""
    data = text.encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
    try:
        info = os.fstat(fd)
        if len(data) > max(info.st_size, info.st_blocks * 512):
            # Only bytes within the blocks the file already has are certain to be written.
            data = json.dumps({"status": json.loads(text)["status"]}).encode()
        os.pwrite(fd, data, 0)
        os.ftruncate(fd, len(data))
        os.fsync(fd)
    finally:
        os.close(fd)


def experiment_name(config: ExperimentConfig, config_path: str | os.PathLike[str] | None) -> str:
    """The config's ``name``, else the config file's stem, else ``run``."""
    if config.name:
        return config.name
    if config_path is not None:
        return Path(config_path).stem
    return "run"


def resolve_work_dir(
    *,
    cli_work_dir: str | os.PathLike[str] | None,
    config_work_dir: str | None,
    name: str,
    now: _dt.datetime,
    root: str | os.PathLike[str] = DEFAULT_ROOT,
) -> Path:
    """Where a run goes: ``-o/--output``, then config ``work_dir``, then a timestamped folder."""
    if cli_work_dir is not None and os.fspath(cli_work_dir):
        return Path(cli_work_dir)
    if config_work_dir:
        return Path(config_work_dir)
    return Path(root) / f"{name}-{now.strftime(TIMESTAMP_FORMAT)}"


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def claim_dir(path: Path) -> Path:
    """Create ``path``, or ``path-1``, ``path-2``... when it is taken; never reuse a used one.

    An existing empty folder (created ahead by a user or a scheduler) is used as is.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for index in range(MAX_SUFFIX):
        candidate = path if index == 0 else path.with_name(f"{path.name}-{index}")
        try:
            candidate.mkdir()
        except FileExistsError:
            if _is_empty_dir(candidate) and index == 0:
                return candidate
            continue
        return candidate
    raise _taken(path)


def _taken(path: Path) -> ConfigError:
    return ConfigError(
        f"work_dir {path}: {MAX_SUFFIX} folders with this name exist already; "
        f"pass another -o/--output"
    )


def publish_dir(staged: Path, path: Path) -> Path:
    """Rename the complete folder ``staged`` to ``path`` (or ``path-1``...), never over a used one.

    An existing empty folder at ``path`` is replaced (a rename over an empty
    folder is atomic); anything else there is kept and the next suffix tried.
    """
    for index in range(MAX_SUFFIX):
        candidate = path if index == 0 else path.with_name(f"{path.name}-{index}")
        try:
            rename_noreplace(staged, candidate)
        except FileExistsError:
            if index == 0 and _is_empty_dir(candidate):
                try:
                    os.rename(staged, candidate)  # replaces an empty folder, never a full one
                except OSError:
                    continue
                return candidate
            continue
        return candidate
    raise _taken(path)


def rerun_readme(name: str, argv: Sequence[str], work_dir: Path, created: str) -> str:
    """The README of a run folder: what it is and the exact command that reruns it."""
    command = shlex.join(argv) if argv else "(the command was not recorded)"
    return (
        f"# {name}\n\n"
        f"Run created {created}.\n\n"
        "## Rerun\n\n"
        "From the same checkout and environment (compare `env_hash` in `env.json`):\n\n"
        f"```sh\n{command}\n```\n\n"
        "## Files\n\n"
        "- `config.yaml`: the resolved config (bases and overrides applied)\n"
        "- `env.json`: python, platform, CPU/GPU, packages, `env_hash`, git revision, lock match\n"
        "- `plugins.json`: installed plugins and their components\n"
        "- `logs/run.jsonl`: structured log, one JSON record per line\n"
        "- `status.json`: running, finished or failed (with the error)\n"
        "- training runs add `metrics.jsonl`, `metrics.csv`, `metrics.json` (final, written\n"
        "  last), `plots/`, `samples/` and `checkpoints/`\n"
        f"\nWork dir: `{work_dir}`\n"
    )


def create_work_dir(
    config: ExperimentConfig,
    *,
    argv: Sequence[str],
    config_path: str | os.PathLike[str] | None = None,
    work_dir: str | os.PathLike[str] | None = None,
    plugins: FaceswapPlugins | None = None,
    root: str | os.PathLike[str] = DEFAULT_ROOT,
    now: _dt.datetime | None = None,
    env: Mapping[str, Any] | None = None,
    env_factory: Callable[[], dict[str, Any]] = capture_env,
    status: Mapping[str, Any] | None = None,
    publish: bool = True,
) -> WorkDir:
    """Create a run folder with ``config.yaml``, ``env.json``, ``plugins.json``, ``README.md``.

    The files are written into a hidden temporary folder that takes the run's
    name only when all are there (module docstring): a failure leaves nothing.

    :param argv: the command that reruns the experiment, stored verbatim.
    :param work_dir: ``-o/--output`` from the command line (wins over the config).
    :param env: a precomputed ``env.json`` body (default: ``env_factory()``).
    :param status: a first ``status.json`` body, written before the folder appears.
    :param publish: ``False`` returns the hidden folder itself, for a command whose
        whole output must appear at once; it calls :func:`reveal_work_dir` when done.
    """
    stamp = now or _dt.datetime.now()
    name = experiment_name(config, config_path)
    target = resolve_work_dir(
        cli_work_dir=work_dir, config_work_dir=config.work_dir, name=name, now=stamp, root=root
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = WorkDir(temp_path_for(target))
    staged.path.mkdir()
    try:
        staged.logs.mkdir()
        atomic_write_text(staged.config, dump_config(config))
        body = dict(env) if env is not None else env_factory()
        body["argv"] = list(argv)
        body["config_path"] = None if config_path is None else os.fspath(config_path)
        atomic_write_json(staged.env, body)
        manager = plugins if plugins is not None else get_plugins()
        atomic_write_json(staged.plugins, plugin_listing(manager, include_builtin=True))
        created = stamp.isoformat(timespec="seconds")
        atomic_write_text(staged.readme, rerun_readme(name, argv, target, created))
        staged.run_log.touch()
        if status is not None:
            atomic_write_json(staged.status, dict(status))
        if not publish:
            return _Staged(staged.path, target, name, tuple(argv), created)
        return reveal_work_dir(_Staged(staged.path, target, name, tuple(argv), created))
    except BaseException:
        shutil.rmtree(staged.path, ignore_errors=True)
        raise


@attrs.frozen
class _Staged(WorkDir):
    """A run folder still hidden under its temporary name, and where it will go."""

    target: Path
    name: str
    argv: tuple[str, ...]
    created: str


def reveal_work_dir(folder: WorkDir) -> WorkDir:
    """Give a hidden run folder from ``create_work_dir(publish=False)`` its name; returns it.

    A folder that is already visible is returned as it is.
    """
    if not isinstance(folder, _Staged):
        return folder
    final = publish_dir(folder.path, folder.target)
    published = WorkDir(final)
    if final != folder.target:  # a suffix was needed: the README names the folder it is in
        with contextlib.suppress(OSError):
            atomic_write_text(
                published.readme, rerun_readme(folder.name, folder.argv, final, folder.created)
            )
    return published


def discard_work_dir(folder: WorkDir) -> None:
    """Remove a run folder that was never published (a failed ``publish=False`` run)."""
    if isinstance(folder, _Staged):
        shutil.rmtree(folder.path, ignore_errors=True)


__all__ = [
    "DEFAULT_ROOT",
    "WorkDir",
    "claim_dir",
    "create_work_dir",
    "discard_work_dir",
    "experiment_name",
    "publish_dir",
    "resolve_work_dir",
    "reveal_work_dir",
]
