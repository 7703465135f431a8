"""faceswap: the public facade.

>>> import faceswap
>>> result = faceswap.swap("target.jpg", "source.jpg")  # RGB uint8, same shape as target

Everything here is re-exported from :mod:`faceswap_core`; import from here in
applications, from ``faceswap_core`` in plugins.
"""

from __future__ import annotations

from faceswap import errors
from faceswap_core import __version__

__all__ = ["__version__", "errors"]
