"""Entry point of faceswap-rest: ``faceswap serve``, its operation and its ``serve:`` section.

Kept thin: the command's module imports click and the settings only;
starlette and uvicorn load when ``faceswap serve`` runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faceswap_core import hookimpl

if TYPE_CHECKING:
    import click

    from faceswap_core.plugin.hookspecs import RegisterOperation, RegisterSection


@hookimpl
def register_commands(cli: click.Group) -> None:
    from faceswap_rest.command import serve

    cli.add_command(serve)


@hookimpl
def register_config_sections(register: RegisterSection) -> None:
    from faceswap_rest.config import SECTION, ServeConfig

    register(SECTION, ServeConfig)


@hookimpl
def register_operations(register: RegisterOperation) -> None:
    from faceswap_rest.spec import SERVE

    register(SERVE)
