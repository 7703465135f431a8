"""Content Credentials: signed C2PA manifests on outputs, and reading them back.

Everything goes through the C2PA SDK's own ``Builder`` / ``Reader`` / ``Signer``
(``c2pa-python``, the optional extra ``faceswap-core[c2pa]``), which also
validates every manifest it writes.

- :mod:`~faceswap_core.io.credentials.sdk`: importing the SDK (with the install
  hint), its settings, and the formats it can sign.
- :mod:`~faceswap_core.io.credentials.manifest`: the manifest definition made
  from a :class:`~faceswap_core.io.provenance.Mark` (C2PA's vocabulary).
- :mod:`~faceswap_core.io.credentials.signer`: :func:`load_signer` checks a
  configured certificate and key before any work; :class:`C2paSigner` signs.
- :mod:`~faceswap_core.io.credentials.verify`: :func:`read_credentials`, the
  state of a file's manifest (valid, untrusted, invalid, absent).
- :mod:`~faceswap_core.io.credentials.keygen`: an untrusted test CA and signer
  certificate for trials and tests.

Nothing here imports the SDK or ``cryptography`` at module import: a pipeline
without a signer never loads them.
"""
