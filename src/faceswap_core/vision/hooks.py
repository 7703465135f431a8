"""Core's alignment templates, registered through ``register_alignment_templates`` like a
plugin's: ``arcface``, ``inswapper``, ``classic``, ``ffhq`` and ``native``.

Nothing heavy at import: the templates (OpenCV, scikit-image) load in the factories.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faceswap_core.plugin.hookspecs import hookimpl

if TYPE_CHECKING:
    from faceswap_core.interfaces import AlignmentTemplate
    from faceswap_core.plugin.context import BuildContext
    from faceswap_core.plugin.hookspecs import Register


def _builtin(name: str) -> AlignmentTemplate:
    from faceswap_core.vision.align import BUILTIN_TEMPLATES

    return BUILTIN_TEMPLATES[name]


def _arcface(config: None, context: BuildContext) -> AlignmentTemplate:
    return _builtin("arcface")


def _inswapper(config: None, context: BuildContext) -> AlignmentTemplate:
    return _builtin("inswapper")


def _classic(config: None, context: BuildContext) -> AlignmentTemplate:
    return _builtin("classic")


def _ffhq(config: None, context: BuildContext) -> AlignmentTemplate:
    return _builtin("ffhq")


def _native(config: None, context: BuildContext) -> AlignmentTemplate:
    return _builtin("native")


@hookimpl
def register_alignment_templates(register: Register[AlignmentTemplate]) -> None:
    register("arcface", _arcface)
    register("inswapper", _inswapper)
    register("classic", _classic)
    register("ffhq", _ffhq)
    register("native", _native)
