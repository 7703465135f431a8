"""Entry point of faceswap-unet: registers this plugin's components.

It registers nothing yet: the components land with their own issues, and a
placeholder that pretends to work would be worse than an honest empty plugin.
"""

from __future__ import annotations
