"""``faceswap serve``: run the REST service with uvicorn.

The command resolves and checks the settings and the pipeline before
anything starts (a bad config is one ``Error:`` line and exit 2), then hands
them to uvicorn's workers through the environment (``FACESWAP_SERVE_SETTINGS``),
so each worker builds the same app and loads its own models.
starlette and uvicorn are imported only when the command runs. The options
come from :class:`~faceswap_rest.spec.ServeSpec` through core's generator.
"""

from __future__ import annotations

import json
import os

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.spec_command import spec_command
from faceswap_core.pipeline.image import Pipeline
from faceswap_rest.config import SETTINGS_ENV, TOKEN_ENV, load_settings
from faceswap_rest.spec import SERVE, ServeSpec

APP_FACTORY = "faceswap_rest.app:app_from_environment"


def run(ctx: click.Context, spec: ServeSpec) -> None:
    """Check the settings and the pipeline, then run uvicorn until stopped."""
    settings = load_settings(
        spec.config,
        spec.overrides,
        runtime=spec.runtime,
        providers=spec.providers,
        host=spec.host,
        port=spec.port,
        workers=spec.workers,
    )
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
        log_level=spec.log_level,
        access_log=False,  # the service writes its own JSON access log
        ws_max_size=serve_config.limits.max_ws_frame_bytes + 1024,
        timeout_graceful_shutdown=10,
    )


serve = spec_command(SERVE, run)


__all__ = ["APP_FACTORY", "run", "serve"]
