"""``provenance keygen``: an untrusted test CA and signer certificate for trying C2PA
signing (CLI, ``faceswap.provenance_keygen``)."""

from __future__ import annotations

from typing import Any

import attrs

from faceswap_core.io.credentials.keygen import KEY_ALGORITHMS
from faceswap_core.operations import fields
from faceswap_core.operations.operation import Operation


@attrs.frozen(kw_only=True)
class KeygenSpec:
    """Write a local test CA and a C2PA signer certificate to the OUTPUT folder.

    \b
    OUTPUT/ca.pem is the test CA (give it to verifiers: inspect --trust),
    OUTPUT/signer.pem the signer's chain (pipeline.c2pa.cert) and
    OUTPUT/signer.key its private key, readable by you only (pipeline.c2pa.key).
    The CA is on no trust list: files signed with it read as signed by an
    untrusted signer everywhere else. For trying signing and for tests; a real
    deployment signs with a certificate from a CA on the C2PA trust list.
    Existing files are kept unless --overwrite is given (exit 2).
    """

    output: Any = fields.output(
        "Folder for ca.pem, signer.pem and signer.key (made if missing).",
        required=True,
        api_positional=True,
    )
    alg: str = fields.option(
        "Signing algorithm of the key (pipeline.c2pa.alg).",
        default="es256",
        choices=KEY_ALGORITHMS,
    )
    overwrite: bool = fields.overwrite("Replace ca.pem, signer.pem and signer.key if present.")
    json: bool = fields.json_lines('Print only JSON Lines: {"ca", "cert", "key", "alg"} paths.')


KEYGEN = Operation(
    "provenance keygen",
    KeygenSpec,
    cli=("provenance", "keygen"),
    api="provenance_keygen",
    api_summary=(
        "Write an untrusted test CA and a C2PA signer (faceswap provenance keygen); "
        "returns the paths by role: ca, cert, key."
    ),
    api_returns="dict[str, Path]",
)


__all__ = ["KEYGEN", "KeygenSpec"]
