"""faceswap-core: hook specs, plugin manager, registry, configs and the inference pipeline."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from faceswap_core.hookspecs import hookimpl

try:
    __version__ = version("faceswap-core")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__", "hookimpl"]
