"""Hook specifications: one callback-style hook per component kind.

Plugins implement any subset with ``@faceswap_core.hookimpl``. Each
``register_*`` hook receives a ``register`` callback; calling
``register(name, factory, config=ConfigClass)`` adds a component. A callback
can grow keyword options later without breaking plugins, where a returned
list could not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    import click

hookspec = pluggy.HookspecMarker("faceswap")
hookimpl = pluggy.HookimplMarker("faceswap")


class RegisterCallback(Protocol):
    """The ``register`` argument every ``register_*`` hook receives."""

    def __call__(
        self, name: str, factory: Callable[..., Any], *, config: type[Any] | None = None
    ) -> None: ...


@hookspec
def register_detectors(register: RegisterCallback) -> None:
    """Register face detectors (:class:`faceswap_core.interfaces.Detector`).

    Call ``register(name, factory, config=ConfigClass)`` once per detector;
    ``factory(config)`` builds the detector from an instance of ``ConfigClass``.

    :param register: callback that adds one detector to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_recognizers(register: RegisterCallback) -> None:
    """Register identity recognizers (:class:`faceswap_core.interfaces.Recognizer`).

    :param register: callback that adds one recognizer to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_landmarkers(register: RegisterCallback) -> None:
    """Register dense landmark models (:class:`faceswap_core.interfaces.Landmarker`).

    :param register: callback that adds one landmarker to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_swappers(register: RegisterCallback) -> None:
    """Register swap models (:class:`faceswap_core.interfaces.Swapper`).

    :param register: callback that adds one swapper to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_losses(register: RegisterCallback) -> None:
    """Register training losses used by runners (for example identity, adversarial).

    :param register: callback that adds one loss to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_metrics(register: RegisterCallback) -> None:
    """Register evaluation metrics (identity retrieval, pose error, LPIPS, SSIM, PSNR).

    :param register: callback that adds one metric to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_datasets(register: RegisterCallback) -> None:
    """Register datasets (for example LFW) that runners read.

    :param register: callback that adds one dataset to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_exporters(register: RegisterCallback) -> None:
    """Register exporters (:class:`faceswap_core.interfaces.Exporter`), such as ONNX or TensorRT.

    :param register: callback that adds one exporter to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_runtimes(register: RegisterCallback) -> None:
    """Register inference runtimes (:class:`faceswap_core.interfaces.Runtime`).

    :param register: callback that adds one runtime to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_runners(register: RegisterCallback) -> None:
    """Register jobs (:class:`faceswap_core.interfaces.Runner`): train, eval, stream.

    :param register: callback that adds one runner to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``faceswap`` command line.

    :param cli: the root click group; call ``cli.add_command(...)`` or decorate
        functions with ``@cli.command()``.

    .. versionadded:: 0.1
    """
