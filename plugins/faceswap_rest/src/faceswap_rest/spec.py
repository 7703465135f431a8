"""``serve``: faceswap-rest's operation, declared once like core's (``register_operations``)."""

from __future__ import annotations

from typing import Any

import attrs

from faceswap_core.config.ranges import between
from faceswap_core.operations import Operation, fields

LOG_LEVELS: tuple[str, ...] = ("critical", "error", "warning", "info", "debug")


@attrs.frozen(kw_only=True)
class ServeSpec:
    """Run the REST service: swaps, sources, video jobs, a WebSocket stream, reports.

    Every route but /healthz needs 'Authorization: Bearer TOKEN' when
    FACESWAP_API_TOKEN (or serve.token) is set. The API is described at
    /openapi.json; a small web page is at /. The config's pipeline section
    picks the models, its serve section the limits (configs/face_swap/serve.yaml
    is an example: --config serve).
    """

    host: str | None = fields.option(
        "Address to bind (default serve.host, 127.0.0.1).", default=None, metavar="HOST"
    )
    port: int | None = fields.option(
        "TCP port (default serve.port, 8000; 0 picks a free one).",
        default=None,
        validator=between(0, 65535),
    )
    workers: int | None = fields.option(
        "Worker processes, each with its own models (default serve.workers, 1).",
        default=None,
        validator=between(1, 64),
    )
    config: str | None = fields.config(
        "Config file or shipped config name: its pipeline section picks the models, its serve "
        "section the limits."
    )
    overrides: tuple[str, ...] = fields.overrides(
        "Override a config value, e.g. serve.limits.max_pixels=20000000 (repeatable)."
    )
    runtime: Any = fields.runtime()
    providers: tuple[str, ...] = fields.providers()
    log_level: str = fields.option("uvicorn's log level.", default="info", choices=LOG_LEVELS)


SERVE = Operation("serve", ServeSpec, cli=("serve",), distribution="faceswap-rest")
"""``faceswap serve``: a command only (the service itself is the REST surface)."""


__all__ = ["LOG_LEVELS", "SERVE", "ServeSpec"]
