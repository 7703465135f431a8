"""Choosing the pipeline's runtime from the command line or the Python API.

``--runtime NAME`` / ``runtime="NAME"`` and ``--providers a,b`` /
``providers=[...]`` both land here, so the CLI and the facade agree on how a
choice merges with a config file's ``pipeline.runtime``: the same runtime
keeps the file's parameters, another runtime starts from its own defaults,
and providers replace the list. Parameters are checked later, when the
runtime is built, against the runtime's own config class (so ``--providers``
with a runtime that takes none is ``$.pipeline.runtime.providers: unknown key``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import ConfigError


def split_providers(values: Iterable[str]) -> list[str]:
    """``["cuda,cpu", "coreml"]`` -> ``["cuda", "cpu", "coreml"]`` (repeatable and comma lists)."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def runtime_ref(
    base: Mapping[str, Any] | str | None,
    runtime: str | Mapping[str, Any] | None = None,
    providers: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The runtime reference after applying a runtime choice and providers to ``base``.

    :param base: the config's ``pipeline.runtime`` (a name or ``{type: NAME, ...}``).
    :param runtime: a runtime name, or a ``{type: NAME, ...}`` reference whose
        params override ``base``'s when the type is the same and replace them
        otherwise; ``None`` keeps ``base``.
    :param providers: execution providers (short or full names); ``None`` keeps them.
    """
    ref: dict[str, Any] = (
        {"type": base} if isinstance(base, str) else dict(base or {"type": "onnxruntime"})
    )
    if isinstance(runtime, Mapping):
        if "type" not in runtime:
            raise ConfigError("runtime: a mapping needs 'type' (the runtime name)")
        ref = {**ref, **runtime} if runtime["type"] == ref.get("type") else dict(runtime)
    elif runtime is not None:
        name = runtime.strip()
        if not name:
            raise ConfigError("--runtime needs a runtime name, e.g. onnxruntime or tensorrt")
        if name != ref.get("type"):
            ref = {"type": name}
    if providers is not None:
        listed = split_providers(providers)
        if not listed:
            raise ConfigError("--providers needs at least one provider, e.g. cuda,cpu")
        ref["providers"] = listed
    return ref


def with_runtime(
    config: PipelineConfig,
    runtime: str | Mapping[str, Any] | None = None,
    providers: Iterable[str] | None = None,
) -> PipelineConfig:
    """``config`` with :func:`runtime_ref` applied (unchanged when both choices are None)."""
    if runtime is None and providers is None:
        return config
    return attrs.evolve(config, runtime=runtime_ref(config.runtime, runtime, providers))


__all__ = ["runtime_ref", "split_providers", "with_runtime"]
