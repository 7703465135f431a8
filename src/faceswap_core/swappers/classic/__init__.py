"""The ``classic`` swapper (no learned weights) and the helpers only it uses.

:mod:`~.swapper` holds :class:`ClassicSwapper`; :mod:`~.warp` (Delaunay
landmark warp), :mod:`~.masks`, :mod:`~.shape` (face shape transfer),
:mod:`~.symmetry` (mirror fill for turned heads) and :mod:`~.color` (LAB
colour transfer) are its parts.
"""
