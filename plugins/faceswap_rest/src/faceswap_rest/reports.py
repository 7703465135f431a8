"""Run folders under the reports root, and files inside one run folder only.

``/v1/reports/{run}/files/{path}`` serves plots, galleries and ``report.html``.
A request can name only what lies inside that run folder: a run name is one
path segment naming a folder directly under the root, and a file path must
not be absolute, must not climb (``..``), and must still be inside the run
folder once every symlink is resolved. Anything else is the same 404 as a
missing file, so a probe learns nothing about what exists outside.
(Percent-encoded forms arrive here decoded by the server, so ``%2e%2e`` is ``..``.)
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path, PurePosixPath
from typing import Any

from faceswap_core.errors import InputError
from faceswap_core.eval.report import TRAIN_CSV, TRAIN_JSONL, load_run
from faceswap_core.eval.results import METRICS_JSON, is_eval_folder, read_metrics_json
from faceswap_rest.errors import NotFoundError

REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
"""CSP of served run files: a report may show its inlined images and style, nothing else."""


def _not_found(what: str) -> NotFoundError:
    return NotFoundError(f"{what} not found; list the runs with GET /v1/reports")


def run_kind(folder: Path) -> str | None:
    """``eval``, ``train``, or ``None`` for a folder that is not a run."""
    if is_eval_folder(folder):
        return "eval"
    if (folder / TRAIN_JSONL).is_file() or (folder / TRAIN_CSV).is_file():
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
        if not run or run in (".", "..") or "/" in run or "\\" in run or "\x00" in run:
            raise _not_found(f"run {run!r}")
        folder = root / run
        if not folder.is_dir() or not _inside(folder.resolve(), root):
            raise _not_found(f"run {run!r}")
        if folder.resolve() == root:
            raise _not_found(f"run {run!r}")
        return folder.resolve()

    def metrics(self, run: str) -> dict[str, Any]:
        """An eval run's ``metrics.json``; for a training run, its last and best values."""
        folder = self.run_folder(run)
        kind = run_kind(folder)
        if kind == "eval":
            return read_metrics_json(folder)
        if kind == "train":
            try:
                view = load_run(folder)
            except InputError as exc:
                raise _not_found(f"metrics of run {run!r} ({exc})") from None
            return {"kind": "train", "name": view.name, "metrics": view.metrics}
        raise _not_found(f"run {run!r} ({METRICS_JSON} or {TRAIN_JSONL})")

    def file(self, run: str, path: str) -> Path:
        folder = self.run_folder(run)
        pure = PurePosixPath(path)
        if (
            not path
            or "\x00" in path
            or "\\" in path
            or pure.is_absolute()
            or any(part in ("..", "") for part in path.split("/"))
        ):
            raise _not_found(f"file {path!r} of run {run!r}")
        candidate = folder.joinpath(*pure.parts)
        try:
            resolved = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            raise _not_found(f"file {path!r} of run {run!r}") from None
        if not _inside(resolved, folder) or not resolved.is_file():
            raise _not_found(f"file {path!r} of run {run!r}")
        return resolved


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def media_type(path: Path) -> str:
    guessed, _ = mimetypes.guess_type(os.fspath(path))
    return guessed or "application/octet-stream"


__all__ = ["REPORT_CSP", "Reports", "media_type", "run_kind"]
