"""Reading ``.pth`` state dicts with ``torch.load(weights_only=True)``: tensors, never code.

torch's refusal of a pickled object is a twelve-line message that ends by
advising ``weights_only=False``, which would run whatever the file holds.
Model files are untrusted input here, so :func:`load_state_file` turns it
into one line naming the object and never repeats that advice.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from faceswap_core.errors import ModelFileError, one_line

_GLOBAL = re.compile(r"Unsupported global: GLOBAL ([\w.]+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_STOPPED = re.compile(r"WeightsUnpickler error:\s*([^\n]+)")


def unpickling_problem(exc: BaseException) -> str:
    """Why ``torch.load(weights_only=True)`` refused a file, in one line (no unsafe advice)."""
    text = _ANSI.sub("", str(exc))
    found = _GLOBAL.search(text)
    if found is not None:
        return (
            f"it holds a pickled Python object ({found.group(1)}), not only tensors; "
            "faceswap loads tensors only and never runs code from a model file"
        )
    stopped = _STOPPED.search(text)
    if stopped is not None:
        return (
            f"it is not a file of tensors torch can read safely ({one_line(stopped.group(1), 200)})"
        )
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"{type(exc).__name__}: {one_line(first, 200)}"


def load_state_file(path: Path, what: str, hint: str) -> Any:
    """``torch.load(path, weights_only=True)`` on the CPU, or :class:`ModelFileError` in one line.

    :param what: what the file should be, for the message (``"recognizer weights"``).
    :param hint: what to do instead (``"pass the backbone.pth of ..."``).
    """
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ModelFileError(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise ModelFileError(f"{what} {path} is a folder, not a file; {hint}") from None
    except Exception as exc:
        raise ModelFileError(
            f"{what} {path} cannot be loaded: {unpickling_problem(exc)}; {hint}"
        ) from None


__all__ = ["load_state_file", "unpickling_problem"]
