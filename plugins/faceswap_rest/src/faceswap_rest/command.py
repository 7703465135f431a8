"""``faceswap serve``: run the REST service with uvicorn.

The command resolves and checks the settings and the pipeline before
anything starts (a bad config is one ``Error:`` line and exit 2), then hands
them to uvicorn's workers through the environment (``FACESWAP_SERVE_SETTINGS``),
so each worker builds the same app and loads its own models.
starlette and uvicorn are imported only when the command runs.
"""

from __future__ import annotations

import json
import os

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.pipeline.image import Pipeline
from faceswap_rest.config import SETTINGS_ENV, TOKEN_ENV, load_settings

APP_FACTORY = "faceswap_rest.app:app_from_environment"


@click.command("serve")
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default 8000).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes, each with its own models (default 1).",
)
@click.option(
    "--config",
    default=None,
    help="Config file or shipped config name: its pipeline section picks the models, "
    "its serve section the limits.",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    workers: int | None,
    config: str | None,
    log_level: str,
) -> None:
    """Run the REST service: swaps, sources, video jobs, a WebSocket stream, reports.

    Every route but /healthz needs 'Authorization: Bearer TOKEN' when
    FACESWAP_API_TOKEN (or serve.token) is set. The API is described at
    /openapi.json; a small web page is at /.
    """
    settings = load_settings(config, host=host, port=port, workers=workers)
    Pipeline(settings.service_pipeline(), plugins_from(ctx))  # unknown components fail now
    import uvicorn

    serve_config = settings.serve
    os.environ[SETTINGS_ENV] = json.dumps(settings.to_dict())
    auth = "bearer token required" if serve_config.resolved_token() else f"no {TOKEN_ENV}: open"
    click.echo(
        f"faceswap serve: http://{serve_config.host}:{serve_config.port} "
        f"({serve_config.workers} worker(s), {auth})",
        err=True,
    )
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=serve_config.host,
        port=serve_config.port,
        workers=serve_config.workers,
        log_level=log_level,
        access_log=False,  # the service writes its own JSON access log
        ws_max_size=serve_config.limits.max_ws_frame_bytes + 1024,
        timeout_graceful_shutdown=10,
    )


__all__ = ["APP_FACTORY", "serve"]
