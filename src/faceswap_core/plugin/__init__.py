"""The plugin kernel: hook specs, the kinds table, loading, registries, build context.

Plugin authors need only ``hookimpl`` (re-exported from :mod:`faceswap_core`)
and the interfaces; everything else here is how core finds, loads, lists and
builds their components.
"""
