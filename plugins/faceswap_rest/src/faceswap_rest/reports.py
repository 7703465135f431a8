"""Run folders under the reports root, and files inside one run folder only.

``/v1/reports/{run}/files/{path}`` serves plots, contact sheets and ``report.html``.
A request can name only what lies inside that run folder: a run name is one
path segment (at most :data:`MAX_NAME_BYTES`) naming a folder directly under the
root, and a file path (at most :data:`MAX_PATH_BYTES`) must not be absolute,
must not climb (``..``), and must still be inside the run folder once every
symlink is resolved. The files ``/v1/reports/{run}`` reads (``metrics.json``,
the training log, ``config.yaml``, ``env.json``) obey the same rule: a run with
one of them linked out of its folder is not a run. Anything else is the same 404
as a missing file, so a probe learns nothing about what exists outside, and no
answer names a server path. (Percent-encoded forms arrive here decoded by the
server, so ``%2e%2e`` is ``..``.)
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path, PurePosixPath
from typing import Any

from faceswap_core.errors import InputError
from faceswap_core.eval.results import (
    METRICS_CSV,
    METRICS_JSON,
    is_eval_folder,
    read_metrics_json,
)
from faceswap_core.eval.runs import load_run
from faceswap_core.experiment.metrics import CSV_NAME, JSONL_NAME, has_metrics
from faceswap_rest.errors import NotFoundError, shorten

MAX_NAME_BYTES = 255
"""Longest run name or path component (NAME_MAX): a longer one cannot exist."""
MAX_PATH_BYTES = 4096
"""Longest file path inside a run (PATH_MAX)."""
RUN_FILES = (METRICS_JSON, METRICS_CSV, JSONL_NAME, CSV_NAME, "config.yaml", "env.json")
"""What reading a run's kind and metrics opens; each must stay inside the run folder."""

REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
"""CSP of served run files: a report may show its inlined images and style, nothing else."""


def _not_found(what: str) -> NotFoundError:
    return NotFoundError(f"{what} not found; list the runs with GET /v1/reports")


def contained(folder: Path) -> bool:
    """True when none of :data:`RUN_FILES` in ``folder`` resolves outside it (a symlink out)."""
    try:
        folder = folder.resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    for name in RUN_FILES:
        entry = folder / name
        if not entry.is_symlink():
            continue
        try:
            target = entry.resolve(strict=True)
        except (OSError, RuntimeError):
            continue  # a dangling link reads as a missing file
        if not _inside(target, folder):
            return False
    return True


def run_kind(folder: Path) -> str | None:
    """``eval``, ``train``, or ``None`` for a folder that is not a run (or one linking out)."""
    if not contained(folder):
        return None
    if is_eval_folder(folder):
        return "eval"
    if has_metrics(folder):
        return "train"
    return None


class Reports:
    """Read-only access to the run folders directly under ``root``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _root(self) -> Path:
        return self.root.resolve()

    def list(self) -> list[dict[str, Any]]:
        root = self._root()
        if not root.is_dir():
            return []
        runs = []
        for folder in sorted(root.iterdir()):
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            if not _inside(folder.resolve(), root):
                continue  # a symlink out of the root is not a run of this root
            kind = run_kind(folder)
            if kind is None:
                continue
            runs.append(
                {
                    "name": folder.name,
                    "kind": kind,
                    "modified": round(folder.stat().st_mtime, 3),
                    "report": (folder / "report.html").is_file(),
                }
            )
        return runs

    def run_folder(self, run: str) -> Path:
        root = self._root()
        missing = _not_found(f"run {shorten(run)}")
        if (
            not run
            or run in (".", "..")
            or "/" in run
            or "\\" in run
            or "\x00" in run
            or len(run.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES
        ):
            raise missing
        try:
            folder = (root / run).resolve(strict=True)
        except (OSError, RuntimeError):
            raise missing from None
        if not folder.is_dir() or not _inside(folder, root) or folder == root:
            raise missing
        return folder

    def metrics(self, run: str) -> dict[str, Any]:
        """An eval run's ``metrics.json``; for a training run, its last and best values."""
        folder = self.run_folder(run)
        kind = run_kind(folder)
        try:
            if kind == "eval":
                return read_metrics_json(folder)
            if kind == "train":
                view = load_run(folder)
                return {"kind": "train", "name": view.name, "metrics": view.metrics}
        except InputError:  # its message names the server path; the client gets none
            raise _not_found(f"readable metrics of run {shorten(run)}") from None
        raise _not_found(f"run {shorten(run)} ({METRICS_JSON} or {JSONL_NAME})")

    def file(self, run: str, path: str) -> Path:
        folder = self.run_folder(run)
        pure = PurePosixPath(path)
        missing = _not_found(f"file {shorten(path)} of run {shorten(run)}")
        if (
            not path
            or "\x00" in path
            or "\\" in path
            or pure.is_absolute()
            or len(path.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES
            or any(part in ("..", "") for part in path.split("/"))
            or any(len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES
                   for part in path.split("/"))
        ):  # fmt: skip
            raise missing
        candidate = folder.joinpath(*pure.parts)
        try:
            resolved = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            raise missing from None
        if not _inside(resolved, folder) or not resolved.is_file():
            raise missing
        return resolved


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def media_type(path: Path) -> str:
    guessed, _ = mimetypes.guess_type(os.fspath(path))
    return guessed or "application/octet-stream"


__all__ = [
    "MAX_NAME_BYTES",
    "MAX_PATH_BYTES",
    "REPORT_CSP",
    "RUN_FILES",
    "Reports",
    "contained",
    "media_type",
    "run_kind",
]
