"""The detector's config: plain attrs, cheap to import from the hooks module."""

from __future__ import annotations

import attrs


@attrs.frozen
class HogConfig:
    """Parameters of the ``hog`` detector, set from YAML (``detector: {type: hog, ...}``).

    :param threshold: SVM margin a window must exceed; higher finds fewer, surer faces.
    :param upsample: how many times to double the image first; 1 finds faces down to ~40 px.
    :param max_faces: keep at most this many faces, highest score first (0 keeps all).
    """

    threshold: float = attrs.field(default=0.25, validator=attrs.validators.ge(-1.0))
    upsample: int = attrs.field(
        default=1, validator=[attrs.validators.ge(0), attrs.validators.le(3)]
    )
    max_faces: int = attrs.field(default=0, validator=attrs.validators.ge(0))
