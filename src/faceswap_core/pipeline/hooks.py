"""Core's ``local`` runner, registered through ``register_runners`` like a cluster runner."""

from __future__ import annotations

from typing import TYPE_CHECKING

from faceswap_core.plugin.hookspecs import hookimpl

if TYPE_CHECKING:
    from faceswap_core.interfaces import Runner
    from faceswap_core.plugin.context import BuildContext
    from faceswap_core.plugin.hookspecs import Register


def _local(config: None, context: BuildContext) -> Runner:
    from faceswap_core.pipeline.runner import LocalRunner

    return LocalRunner()


@hookimpl
def register_runners(register: Register[Runner]) -> None:
    register("local", _local)
