"""Resource limits on untrusted inputs, each with a name, a default and a check.

Limits are checked before the expensive step they guard: the byte limit
before a file is read, the pixel limit from the header before pixels are
decoded. The defaults are the values of :class:`LimitsConfig`, which the
pipeline config embeds as ``pipeline.limits``.
"""

from __future__ import annotations

import attrs

from faceswap_core.config.ranges import at_least

DEFAULT_MAX_PIXELS = 50_000_000
"""Largest accepted image, width x height (50 MP)."""

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
"""Largest accepted encoded input (200 MiB)."""


@attrs.frozen
class LimitsConfig:
    """Resource limits on inputs, checked before full decode.

    :ivar max_pixels: largest accepted image (width x height), default 50 MP; positive.
    :ivar max_bytes: largest accepted encoded input, default 200 MiB; positive.
    """

    max_pixels: int = attrs.field(default=DEFAULT_MAX_PIXELS, validator=at_least(1))
    max_bytes: int = attrs.field(default=DEFAULT_MAX_BYTES, validator=at_least(1))


__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_PIXELS", "LimitsConfig"]
