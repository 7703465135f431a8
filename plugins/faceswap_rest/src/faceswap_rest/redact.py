"""Server paths and secrets out of every message a client reads.

Error messages are written for the CLI, where naming the file is what helps
(``cannot decode video '/srv/jobs/job_x/input.mp4'``). A client of the service
must not learn the server's layout, so every message that leaves the service
(JSON errors, job records, stream error headers) goes through a
:class:`Redactor`: folders the service knows are replaced by labels
(``<jobs_dir>``, ``<reports_dir>``, ``<models>``, ``~``), and any other absolute
path by its last component. A configured secret (the bearer token) is replaced
outright. Messages are also cut to :data:`MAX_MESSAGE_CHARS`, so a long value
echoed by some error can never make a response large.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

MAX_MESSAGE_CHARS = 1000
"""Longest error message a response carries (longer ones are cut, with an ellipsis)."""
MIN_SECRET_CHARS = 8
"""Shorter secrets are not searched for: they would match ordinary words."""

_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/<>~-])/(?!(?:v1|static)/)(?:[\w.@+~-]+/)+[\w.@+~-]*")
"""An absolute path of two or more components (the service's own routes excepted)."""
_FOLDER_END = r"(?=/|[^\w.@+~-]|$)"
"""A folder's spelling ends where a path component would (``/srv/jobs`` is not ``/srv/jobs2``)."""


def _forms(folder: str | os.PathLike[str]) -> set[str]:
    """The spellings of ``folder`` a message may use: as given, absolute, and resolved."""
    path = Path(folder).expanduser()
    forms = {os.fspath(path), os.fspath(path.absolute())}
    with contextlib.suppress(OSError, RuntimeError):
        forms.add(os.fspath(path.resolve()))
    return {form.rstrip("/") for form in forms if form.rstrip("/") not in ("", ".")}


class Redactor:
    """Replaces known folders by labels, other absolute paths by their names, secrets by ``***``.

    :param folders: folder -> label, e.g. ``{jobs_dir: "<jobs_dir>"}``; the longest
        match wins, so a folder inside another keeps its own label.
    :param secrets: values that must never appear (a bearer token).
    :param private: folders whose sub-folders belong to one client each (the job
        folders under ``jobs_dir``): a path inside one is told relative to it, as
        the client knows it (``input.mp4``).
    """

    def __init__(
        self,
        folders: Mapping[str | os.PathLike[str], str],
        secrets: Iterable[str] = (),
        private: Iterable[str | os.PathLike[str]] = (),
    ) -> None:
        pairs = {form: label for folder, label in folders.items() for form in _forms(folder)}
        self.folders = [
            (re.compile(re.escape(form) + _FOLDER_END), label.replace("\\", r"\\"))
            for form, label in sorted(pairs.items(), key=lambda pair: len(pair[0]), reverse=True)
        ]
        self.secrets = [secret for secret in secrets if len(secret) >= MIN_SECRET_CHARS]
        forms = sorted({form for folder in private for form in _forms(folder)}, key=len)
        self.private = [re.compile(re.escape(form) + r"/[^/'\"\s]+/") for form in reversed(forms)]

    def __call__(self, text: str) -> str:
        """``text`` without server paths or secrets, at most :data:`MAX_MESSAGE_CHARS` long."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        for pattern in self.private:
            text = pattern.sub("", text)
        for pattern, label in self.folders:
            text = pattern.sub(label, text)
        text = _ABSOLUTE_PATH.sub(lambda match: _name(match.group(0)), text)
        if len(text) > MAX_MESSAGE_CHARS:
            text = text[: MAX_MESSAGE_CHARS - 1] + "…"
        return text


def _name(path: str) -> str:
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return name or "…"


__all__ = ["MAX_MESSAGE_CHARS", "Redactor"]
