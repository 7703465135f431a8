"""Bytes in and out: reading untrusted inputs, decoding, encoding, provenance, atomic writes.

- :mod:`~faceswap_core.io.read`: files and bytes within a byte limit.
- :mod:`~faceswap_core.io.decode`: any image input to RGB ``uint8``; header probes.
- :mod:`~faceswap_core.io.encode`: PNG / JPEG / WebP with provenance (the one format table).
- :mod:`~faceswap_core.io.provenance`: the XMP record of what made an image.
- :mod:`~faceswap_core.io.limits`: named limits with defaults.
- :mod:`~faceswap_core.io.atomic`: writes that leave the old file or the new one, never half.
- :mod:`~faceswap_core.io.hashing`: SHA-256 of files.
- :mod:`~faceswap_core.io.video`: video files with PyAV, one module per concept:
  ``containers`` (opening inputs), ``probe``, ``reader``, ``sampling``, ``orientation``,
  ``writer``, ``remux``.
"""
