"""``pipeline.enhancer``: from the text a user writes (NAME|PATH) to the component that runs it.

One text names an enhancer four ways, tried in order:

1. an enhancer component (``gfpgan``, ``codeformer``, a plugin's): it loads
   its own default model;
2. a model in the store (``gfpgan_1.4``, your own added with ``faceswap
   models add NAME FILE --kind enhancer --type gfpgan``): the component its
   entry names loads it;
3. a ``.onnx`` file: held to GFPGAN's contract (NCHW RGB in [-1, 1] at 512).

Anything else is an error naming what exists. CodeFormer's fidelity weight
(``pipeline.enhance_weight``) goes to every component whose config has a
``weight`` field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from faceswap_core.enhancers.contract import BARE_FILE
from faceswap_core.errors import ConfigError, ModelFileError, UnknownComponentError
from faceswap_core.interfaces import Enhancer, ModelLocator
from faceswap_core.plugin.registry import Registry

WEIGHT_FIELD = "weight"


def enhancer_ref(
    text: str, registry: Registry[Enhancer], models: ModelLocator, *, weight: float
) -> dict[str, Any]:
    """The component reference ``{type: NAME, model: ..., weight: ...}`` for ``text``.

    :raises ConfigError: a model of another kind, or one no enhancer loads.
    :raises ModelFileError: a path that is not a file.
    :raises UnknownComponentError: neither an enhancer, a model nor a path.
    """
    ref: dict[str, Any]
    if text in registry:
        ref = {"type": text}
    elif models.knows(text):
        kind, component = models.loaded_by(text)
        if kind != "enhancer":
            raise ConfigError(f"pipeline.enhancer: model {text!r} is a {kind}, not an enhancer")
        if component is None:
            raise ConfigError(
                f"pipeline.enhancer: no enhancer component is named for model {text!r}; "
                f"add it with faceswap models add {text} FILE --kind enhancer --type gfpgan"
            )
        ref = {"type": component, "model": text}
    elif Path(text).expanduser().is_file():
        ref = {"type": BARE_FILE, "model": text}
    elif "/" in text or Path(text).suffix:
        raise ModelFileError(
            f"pipeline.enhancer: {text} is not a file, an enhancer or a model name; check the path"
        )
    else:
        known = registry.names()
        raise UnknownComponentError(
            "enhancer",
            text,
            known,
            hint="pipeline.enhancer also takes a model name (faceswap models list) or a "
            ".onnx path.",
        )
    config = registry.get(str(ref["type"])).config
    if config is not None and attrs.has(config) and WEIGHT_FIELD in attrs.fields_dict(config):
        ref[WEIGHT_FIELD] = weight
    return ref


__all__ = ["enhancer_ref"]
