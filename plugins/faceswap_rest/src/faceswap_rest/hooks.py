"""Entry point of faceswap-rest: adds ``faceswap serve`` (no components).

Kept thin: the command's module imports click and the settings only;
starlette and uvicorn load when ``faceswap serve`` runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faceswap_core import hookimpl

if TYPE_CHECKING:
    import click


@hookimpl
def register_commands(cli: click.Group) -> None:
    from faceswap_rest.command import serve

    cli.add_command(serve)
