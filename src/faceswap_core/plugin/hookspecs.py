"""Hook specifications: one callback-style hook per component kind.

Plugins implement any subset with ``@faceswap_core.hookimpl``. Each
``register_*`` hook receives a ``register`` callback; calling
``register(name, factory, config=ConfigClass)`` adds a component, and
``factory(config, context)`` builds it later from an instance of
``ConfigClass`` and a :class:`~faceswap_core.plugin.context.BuildContext`.
A callback can grow keyword options later without breaking plugins, where a
returned list could not. The hooks mirror :data:`faceswap_core.plugin.kinds.KINDS`
(a test checks that they agree).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload

import pluggy

if TYPE_CHECKING:
    import click

    from faceswap_core.interfaces import (
        AlignmentTemplate,
        Dataset,
        Detector,
        Enhancer,
        Exporter,
        Landmarker,
        Loss,
        Masker,
        Metric,
        Recognizer,
        Runner,
        Runtime,
        Swapper,
    )
    from faceswap_core.plugin.context import BuildContext

hookspec = pluggy.HookspecMarker("faceswap")
hookimpl = pluggy.HookimplMarker("faceswap")

T = TypeVar("T", contravariant=True)
C = TypeVar("C")


class Register(Protocol[T]):
    """The ``register`` argument of a ``register_*`` hook, typed by the component it builds.

    ``register("retinaface", build, config=RetinaFaceConfig)`` where
    ``build(config: RetinaFaceConfig, context: BuildContext) -> Detector``.
    Without ``config=`` the factory receives ``None`` as its config.
    """

    @overload
    def __call__(
        self, name: str, factory: Callable[[C, BuildContext], T], *, config: type[C]
    ) -> None: ...

    @overload
    def __call__(
        self, name: str, factory: Callable[[None, BuildContext], T], *, config: None = None
    ) -> None: ...


@hookspec
def register_detectors(register: Register[Detector]) -> None:
    """Register face detectors (:class:`faceswap_core.interfaces.Detector`).

    Call ``register(name, factory, config=ConfigClass)`` once per detector;
    ``factory(config, context)`` builds the detector from an instance of
    ``ConfigClass`` and the build context (plugin manager, runtime, model store).

    :param register: callback that adds one detector to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_recognizers(register: Register[Recognizer]) -> None:
    """Register identity recognizers (:class:`faceswap_core.interfaces.Recognizer`).

    :param register: callback that adds one recognizer to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_landmarkers(register: Register[Landmarker]) -> None:
    """Register dense landmark models (:class:`faceswap_core.interfaces.Landmarker`).

    :param register: callback that adds one landmarker to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_alignment_templates(register: Register[AlignmentTemplate]) -> None:
    """Register alignment templates (:class:`faceswap_core.interfaces.AlignmentTemplate`).

    A template is the crop layout a model was trained on: ``cut(image, face,
    size)`` gives the crop and the image-to-crop transform the pipeline pastes
    back through, ``points(size)`` the five keypoints of a fixed-size layout.
    A swapper names its template (``Swapper.template``) and an exported model
    its ``faceswap.template``; core registers ``arcface``, ``inswapper``,
    ``classic`` and ``native`` through this same hook. Templates are built
    once per plugin manager and shared, so they must not hold state.

    :param register: callback that adds one template to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_swappers(register: Register[Swapper]) -> None:
    """Register swap models (:class:`faceswap_core.interfaces.Swapper`).

    :param register: callback that adds one swapper to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_maskers(register: Register[Masker]) -> None:
    """Register paste maskers (:class:`faceswap_core.interfaces.Masker`).

    A masker returns a soft mask per face crop (1 = paste the new face, 0 = keep
    the target); ``pipeline.paste.mask`` names the maskers a pipeline combines,
    by element-wise minimum. Core registers ``box``, ``hull``, ``model``,
    ``area``, ``occlusion`` (XSeg) and ``region`` (BiSeNet).

    :param register: callback that adds one masker to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_enhancers(register: Register[Enhancer]) -> None:
    """Register face enhancers (:class:`faceswap_core.interfaces.Enhancer`).

    An enhancer restores aligned crops of its own size on its own alignment
    template; ``pipeline.enhancer`` picks one, and the pipeline runs it on the
    swapped faces and pastes its output through the paste masks. Core
    registers ``gfpgan``, ``codeformer``, ``gpen_bfr_256`` and ``gpen_bfr_512``.

    :param register: callback that adds one enhancer to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_losses(register: Register[Loss]) -> None:
    """Register training losses (:class:`faceswap_core.interfaces.Loss`), e.g. identity.

    :param register: callback that adds one loss to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_metrics(register: Register[Metric]) -> None:
    """Register evaluation metrics (:class:`faceswap_core.interfaces.Metric`): SSIM, LPIPS...

    :param register: callback that adds one metric to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_datasets(register: Register[Dataset]) -> None:
    """Register datasets (:class:`faceswap_core.interfaces.Dataset`), such as LFW.

    :param register: callback that adds one dataset to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_exporters(register: Register[Exporter]) -> None:
    """Register exporters (:class:`faceswap_core.interfaces.Exporter`), such as ONNX or TensorRT.

    :param register: callback that adds one exporter to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_runtimes(register: Register[Runtime]) -> None:
    """Register inference runtimes (:class:`faceswap_core.interfaces.Runtime`).

    :param register: callback that adds one runtime to the registry.

    .. versionadded:: 0.1
    """


@hookspec
def register_runners(register: Register[Runner]) -> None:
    """Register jobs (:class:`faceswap_core.interfaces.Runner`): train, eval, stream.

    A runner that also says where a batch's items run (on a cluster, say)
    implements :class:`faceswap_core.interfaces.WorkRunner`; core registers
    ``local`` (this process), faceswap-ray registers ``ray``.

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


class RegisterSection(Protocol):
    """The ``register`` argument of ``register_config_sections``: ``register(name, cls)``."""

    def __call__(self, name: str, config: type[Any], /) -> None: ...


class RegisterOperation(Protocol):
    """The ``register`` argument of ``register_operations``: ``register(operation)``."""

    def __call__(self, operation: Any, /) -> None: ...


@hookspec
def register_config_sections(register: RegisterSection) -> None:
    """Add top-level sections to the one checked config schema.

    Call ``register("serve", ServeConfig)`` with an attrs class: config files,
    ``faceswap config show``, ``--config`` on every command and ``--set
    serve.port=9000`` then check the section with the same strict rules as
    core's sections (unknown keys, types and ranges are errors with their
    path). A name core already uses, or another plugin registered, is an error.

    :param register: callback that adds one section.

    .. versionadded:: 0.2
    """


@hookspec
def register_operations(register: RegisterOperation) -> None:
    """Declare user-facing operations (:class:`faceswap_core.operations.Operation`).

    A plugin whose command is made from a typed spec registers the operation
    here, so the one-surface contract test and ``docs`` list it with core's;
    the command itself is still added with ``register_commands``
    (``cli.add_command(spec_command(OPERATION, handler))``).

    :param register: callback that adds one operation.

    .. versionadded:: 0.2
    """


__all__ = [
    "Register",
    "RegisterOperation",
    "RegisterSection",
    "hookimpl",
    "hookspec",
]
