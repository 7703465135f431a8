"""The build context a pipeline (or a tool) hands to component factories.

Lives above the plugin kernel because it picks concrete defaults: the
process-wide plugin manager and the model store under ``~/.cache/faceswap``.
"""

from __future__ import annotations

from faceswap_core.interfaces import ModelLocator
from faceswap_core.models.store import ModelStore
from faceswap_core.plugin.context import DEFAULT_RUNTIME, BuildContext, ComponentRef
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins


def build_context(
    plugins: FaceswapPlugins | None = None,
    *,
    runtime: ComponentRef = DEFAULT_RUNTIME,
    models: ModelLocator | None = None,
) -> BuildContext:
    """A context for building components: defaults to the process-wide manager and store.

    :param runtime: the runtime reference every component loads its models with.
    :param models: where model files are found; defaults to a :class:`ModelStore`.
    """
    return BuildContext(
        plugins if plugins is not None else get_plugins(),
        models if models is not None else ModelStore(),
        runtime,
    )


__all__ = ["build_context"]
