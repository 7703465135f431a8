"""The installed version of faceswap-core, in a module of its own.

Kept out of the package ``__init__`` so that modules needing the version
(provenance metadata, ``--version``) import a leaf, not the whole public API.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("faceswap-core")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
