"""The one table of component kinds.

Everything that enumerates kinds is derived from :data:`KINDS`: the hook each
kind registers through, the registry the plugin manager builds, the typed
wrapper methods (checked against this table in a test), ``faceswap
components`` and ``faceswap plugins``. Adding a kind means adding a row here
and its hook spec in :mod:`faceswap_core.plugin.hookspecs`.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import attrs

from faceswap_core.errors import ConfigError
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

T = TypeVar("T")


@attrs.frozen
class Kind(Generic[T]):
    """One kind of component: its name, its plural, its hook and its interface.

    :ivar name: singular name used in configs and messages (``detector``).
    :ivar plural: the word in the hook and wrapper names (``detectors``).
    :ivar interface: the Protocol components of this kind implement.
    :ivar summary: one line for listings and docs.
    """

    name: str
    plural: str
    interface: type[Any]
    summary: str

    @property
    def hook(self) -> str:
        """The hook plugins implement to register components of this kind."""
        return f"register_{self.plural}"


DETECTOR: Kind[Detector] = Kind("detector", "detectors", Detector, "find faces and 5 keypoints")
RECOGNIZER: Kind[Recognizer] = Kind("recognizer", "recognizers", Recognizer, "identity embeddings")
LANDMARKER: Kind[Landmarker] = Kind(
    "landmarker", "landmarkers", Landmarker, "dense (68/5-point) landmarks"
)
ALIGNMENT_TEMPLATE: Kind[AlignmentTemplate] = Kind(
    "template", "alignment_templates", AlignmentTemplate, "crop layouts faces are aligned to"
)
SWAPPER: Kind[Swapper] = Kind("swapper", "swappers", Swapper, "swap models")
MASKER: Kind[Masker] = Kind("masker", "maskers", Masker, "paste masks (box, occlusion, region...)")
ENHANCER: Kind[Enhancer] = Kind("enhancer", "enhancers", Enhancer, "face restorers (GFPGAN...)")
LOSS: Kind[Loss] = Kind("loss", "losses", Loss, "training losses")
METRIC: Kind[Metric] = Kind("metric", "metrics", Metric, "evaluation metrics")
DATASET: Kind[Dataset] = Kind("dataset", "datasets", Dataset, "datasets runners read")
EXPORTER: Kind[Exporter] = Kind("exporter", "exporters", Exporter, "ONNX / TensorRT export")
RUNTIME: Kind[Runtime] = Kind("runtime", "runtimes", Runtime, "inference runtimes")
RUNNER: Kind[Runner] = Kind("runner", "runners", Runner, "train / eval / stream jobs")

KINDS: tuple[Kind[Any], ...] = (
    DETECTOR,
    RECOGNIZER,
    LANDMARKER,
    ALIGNMENT_TEMPLATE,
    SWAPPER,
    MASKER,
    ENHANCER,
    LOSS,
    METRIC,
    DATASET,
    EXPORTER,
    RUNTIME,
    RUNNER,
)
"""Every component kind, in documentation order."""

KIND_NAMES: tuple[str, ...] = tuple(kind.name for kind in KINDS)

COMMANDS_HOOK = "register_commands"
"""A hook that is not a component kind: plugins add CLI subcommands."""

CONFIG_SECTIONS_HOOK = "register_config_sections"
"""Plugins add top-level config sections (``serve:``) to the checked schema."""

OPERATIONS_HOOK = "register_operations"
"""Plugins declare their operations (typed specs) for the one-surface contract."""

EXTRA_HOOKS: tuple[str, ...] = (COMMANDS_HOOK, CONFIG_SECTIONS_HOOK, OPERATIONS_HOOK)
"""The hooks that are not component kinds."""

HOOK_NAMES: tuple[str, ...] = (*(kind.hook for kind in KINDS), *EXTRA_HOOKS)
"""Every hook a plugin may implement, in documentation order."""

_BY_NAME: dict[str, Kind[Any]] = {kind.name: kind for kind in KINDS}


def kind_named(name: str | Kind[T]) -> Kind[Any]:
    """The :class:`Kind` for a name (``"detector"``); a :class:`Kind` is returned as is."""
    if isinstance(name, Kind):
        return name
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise ConfigError(
            f"unknown component kind {name!r}; kinds are {', '.join(KIND_NAMES)}"
        ) from None


__all__ = [
    "ALIGNMENT_TEMPLATE",
    "COMMANDS_HOOK",
    "CONFIG_SECTIONS_HOOK",
    "DATASET",
    "DETECTOR",
    "ENHANCER",
    "EXPORTER",
    "EXTRA_HOOKS",
    "HOOK_NAMES",
    "KINDS",
    "KIND_NAMES",
    "LANDMARKER",
    "LOSS",
    "MASKER",
    "METRIC",
    "OPERATIONS_HOOK",
    "RECOGNIZER",
    "RUNNER",
    "RUNTIME",
    "SWAPPER",
    "Kind",
    "kind_named",
]
