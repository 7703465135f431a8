"""Which surface shows which field: the one list of transport-only differences.

Every field of an operation's spec appears on every surface the operation
has (``cli``, ``api``, ``rest``), under the same name, with the same type,
choices, range and default, unless this table says otherwise. The contract
test (``tests/contract/test_one_surface.py``) compares the generated CLI
options, Python parameters, REST fields and OpenAPI properties with it, so
a difference that is not written down here fails.

Why each difference exists:

- the command line writes files and prints: ``output`` (Python writes files
  too where the operation does), ``overwrite``, ``json``, progress bars and
  batch behaviour (``skip_existing``, ``fail_fast``) are its own;
- a REST request carries uploads and gets bytes back: it has no output path,
  no local config or runtime choice (the server's config decides), and it
  may name a registered source (``source_id``) instead of uploading one;
- Python returns arrays: an image swap has no output file or format, and a
  pipeline can be passed in (``pipeline``);
- ``faceswap export NAME`` adds ``--json`` to the exporter's own options
  (:data:`faceswap_core.operations.export.EXPORT_CLI_ONLY`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Transport = Literal["cli", "api", "rest"]
TRANSPORTS: tuple[Transport, ...] = ("cli", "api", "rest")

_CLI: frozenset[Transport] = frozenset({"cli"})
_API: frozenset[Transport] = frozenset({"api"})
_REST: frozenset[Transport] = frozenset({"rest"})
_LOCAL: frozenset[Transport] = frozenset({"cli", "api"})
_FILES: frozenset[Transport] = frozenset({"cli", "rest"})

TRANSPORT_ONLY: Mapping[str, Mapping[str, frozenset[Transport]]] = {
    "*": {
        # what a local process has and a request to a server does not
        "output": _LOCAL,
        "overwrite": _LOCAL,
        "config": _LOCAL,
        "overrides": _LOCAL,
        "runtime": _LOCAL,
        "providers": _LOCAL,
        "model_path": _LOCAL,
        "progress": _LOCAL,
        "provenance": _LOCAL,
        "codec": _LOCAL,
        "crf": _LOCAL,
        "preset": _LOCAL,
        "pix_fmt": _LOCAL,
        "smooth_params": _LOCAL,
        # the command line's own
        "json": _CLI,
        "skip_existing": _CLI,
        "fail_fast": _CLI,
        # a request's own
        "source_id": _REST,
        # Python's own
        "pipeline": _API,
        "on_progress": _API,
    },
    "swap": {
        # Python returns the array; the CLI writes files, REST returns encoded bytes
        "output": _CLI,
        "format": _FILES,
        "quality": _FILES,
        "provenance": _CLI,
        "overwrite": _CLI,
    },
    "detect": {"output": _CLI, "overwrite": _CLI},
    "video": {
        # the CLI takes the container from the output's suffix, REST has no output path;
        # a progress bar is the CLI's, a progress callback Python's
        "format": _REST,
        "progress": _CLI,
    },
    "stream": {
        # a WebSocket sends encoded frames; Python yields arrays
        # a stream request names a registered source and has no reference upload
        "format": _REST,
        "quality": _REST,
        "fps": _API,
        "copy": _API,
        "frames": _API,
        "source": _API,
        "reference": _API,
        "threshold": _API,
    },
}
"""``{operation or "*": {field: the transports that show it}}``; the operation's row wins."""


def transports_of(
    operation: str, field: str, surfaces: frozenset[Transport]
) -> frozenset[Transport]:
    """The surfaces of ``operation`` (``surfaces``) that show ``field``."""
    row = TRANSPORT_ONLY.get(operation, {})
    allowed = row.get(field, TRANSPORT_ONLY["*"].get(field, frozenset(TRANSPORTS)))
    return surfaces & allowed


__all__ = ["TRANSPORTS", "TRANSPORT_ONLY", "Transport", "transports_of"]
