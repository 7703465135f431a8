"""The pipeline a command's settings ask for: ``config``, ``overrides``, ``model``, runtime.

Every operation that runs the pipeline (swap, detect, video, stream, eval,
bench, demo, serve) reads its settings the same way on every surface: the
``pipeline:`` section of ``config`` (or the defaults) with ``overrides``
applied, then ``model`` / ``model_path`` as the swapper, then ``runtime`` /
``providers`` (:func:`~faceswap_core.runtime.choice.with_runtime`), then the
quality options (:class:`QualityOptions`: ``pixel_boost``, ``mask``...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from faceswap_core.config.convert import FieldValueError
from faceswap_core.config.loader import load_experiment
from faceswap_core.config.schema import ComponentRef, MaskNames, PipelineConfig
from faceswap_core.errors import ConfigError
from faceswap_core.runtime.choice import with_runtime

ENHANCER_OFF = "none"
"""``--enhancer none``: no enhancer, whatever the config names."""


@attrs.frozen
class QualityOptions:
    """The quality options of swap, video and eval (docs/quality.md), as every surface gives them.

    Unset (``None`` / empty) keeps the config's value. ``areas`` / ``regions`` /
    ``parser`` / ``occluder`` without ``mask`` add the mask they configure
    (``area``, ``region``, ``occlusion``) to the config's masks.
    """

    pixel_boost: int | None = None
    mask: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    occluder: str | None = None
    parser: str | None = None
    enhancer: str | None = None
    enhance_blend: float | None = None

    @classmethod
    def of(cls, spec: Any) -> QualityOptions:
        """The options a spec carries (those it has; the others unset)."""
        found = {
            field.name: getattr(spec, field.name)
            for field in attrs.fields(cls)
            if getattr(spec, field.name, None) is not None
        }
        return cls(**found)

    def given(self) -> dict[str, Any]:
        """The options that are set, by name."""
        return {
            field.name: getattr(self, field.name)
            for field in attrs.fields(type(self))
            if getattr(self, field.name) not in (None, ())
        }

    def argv(self) -> list[str]:
        """The command-line options that give these settings (a rerun command)."""
        argv: list[str] = []
        for name, value in self.given().items():
            flag = "--" + name.replace("_", "-")
            text = ",".join(value) if isinstance(value, tuple) else str(value)
            argv += [flag, text]
        return argv

    def masks(self, configured: tuple[str, ...]) -> tuple[str, ...]:
        """``mask``, else the configured masks plus those the other options imply."""
        if self.mask:
            return self.mask
        names = list(configured)
        for implied, name in (
            (self.areas, "area"),
            (self.regions or self.parser, "region"),
            (self.occluder, "occlusion"),
        ):
            if implied and name not in names:
                names.append(name)
        return tuple(names)

    def apply(self, pipeline: PipelineConfig) -> PipelineConfig:
        """``pipeline`` with these settings.

        :raises ConfigError: a mask name that is no component name (``mask: ...``).
        """
        if not self.given():
            return pipeline
        paste: dict[str, Any] = {}
        top: dict[str, Any] = {}
        masks = self.masks(tuple(pipeline.paste.mask))
        if masks != tuple(pipeline.paste.mask):
            paste["mask"] = MaskNames(masks)
        for name in ("areas", "regions"):
            if getattr(self, name):
                paste[name] = list(getattr(self, name))
        for name in ("occluder", "parser"):
            if getattr(self, name) is not None:
                paste[name] = getattr(self, name)
        if self.pixel_boost is not None:
            top["pixel_boost"] = self.pixel_boost
        if self.enhancer is not None:
            top["enhancer"] = None if self.enhancer == ENHANCER_OFF else self.enhancer
        if self.enhance_blend is not None:
            top["enhance_blend"] = self.enhance_blend
        try:
            return attrs.evolve(pipeline, paste=attrs.evolve(pipeline.paste, **paste), **top)
        except FieldValueError as exc:
            raise ConfigError(f"{exc.field}: {exc}") from None
        except ValueError as exc:  # the mask list's own check (pipeline.paste.mask)
            raise ConfigError(f"mask: {exc}") from None


def swapper_ref(model: str | None, model_path: str | Path | None) -> ComponentRef | None:
    """``--model`` / ``--model-path`` as a swapper reference; ``None`` keeps the config's.

    A model file alone means the ``onnx`` swapper.
    """
    if model is None and model_path is None:
        return None
    ref: ComponentRef = {"type": model or "onnx"}
    if model_path is not None:
        ref["model"] = str(model_path)
    return ref


def resolved_pipeline(
    config: str | Path | None = None,
    overrides: Sequence[str] = (),
    *,
    model: str | None = None,
    model_path: str | Path | None = None,
    runtime: str | Mapping[str, Any] | None = None,
    providers: Sequence[str] = (),
    swapper_params: Mapping[str, Any] | None = None,
    quality: QualityOptions | None = None,
) -> PipelineConfig:
    """The pipeline a spec asks for (see the module docstring)."""
    pipeline = load_experiment(config, tuple(overrides)).pipeline
    swapper = swapper_ref(model, model_path)
    if swapper is not None or swapper_params:
        base = dict(swapper if swapper is not None else pipeline.swapper)
        pipeline = attrs.evolve(pipeline, swapper={**base, **dict(swapper_params or {})})
    pipeline = with_runtime(pipeline, runtime, tuple(providers) or None)
    return pipeline if quality is None else quality.apply(pipeline)


def spec_pipeline(spec: Any, **extra: Any) -> PipelineConfig:
    """:func:`resolved_pipeline` from a spec's own fields (those it has)."""
    return resolved_pipeline(
        getattr(spec, "config", None),
        getattr(spec, "overrides", ()),
        model=getattr(spec, "model", None),
        model_path=getattr(spec, "model_path", None),
        runtime=getattr(spec, "runtime", None),
        providers=getattr(spec, "providers", ()),
        quality=QualityOptions.of(spec),
        **extra,
    )


__all__ = [
    "ENHANCER_OFF",
    "QualityOptions",
    "resolved_pipeline",
    "spec_pipeline",
    "swapper_ref",
]
