"""Display rotation: frames are kept as stored and turned only where a person sees them.

A file's display matrix says how far a player turns its frames. Decoded
frames come out as stored; :func:`upright` turns one the way the matrix says,
and :func:`stored` turns it back before the writer, which writes the same
rotation into the output.
"""

from __future__ import annotations

import numpy as np

from faceswap_core.interfaces.face import Image


def upright(image: Image, rotation: int) -> Image:
    """The frame as a player shows it: turned ``rotation`` degrees counter-clockwise."""
    turns = round(rotation / 90) % 4
    return image if turns == 0 else np.ascontiguousarray(np.rot90(image, turns))


def stored(image: Image, rotation: int) -> Image:
    """The inverse of :func:`upright`: back to the orientation kept in the file."""
    turns = round(rotation / 90) % 4
    return image if turns == 0 else np.ascontiguousarray(np.rot90(image, -turns))


__all__ = ["stored", "upright"]
