"""``inspect``: a file's format, provenance mark and C2PA Content Credentials, and the
verification gate (CLI, ``faceswap.inspect``)."""

from __future__ import annotations

from typing import Any

import attrs

from faceswap_core.operations import fields
from faceswap_core.operations.operation import Operation
from faceswap_core.operations.rules import RuleError


@attrs.frozen(kw_only=True)
class InspectSpec:
    """Show FILE's size, format, provenance and C2PA Content Credentials.

    \b
    Reads the header and metadata only, so any image size works. Videos
    (.mp4, .mov, .mkv, .webm, ...) show codec, frames, rate and the provenance
    tags in their container metadata. The C2PA line says whether a signed
    manifest is valid (its signer chains to a --trust anchor), signed by an
    untrusted signer, INVALID (with C2PA's failure codes: the file changed
    after signing) or absent, then its actions and ingredients.

    \b
    Exit code 0 whatever the provenance; 3 when the file cannot be read. With
    --verify: 0 only for an intact manifest (an untrusted signer passes with a
    warning unless --trust is given), 3 for an invalid, absent or unchecked one.
    """

    file: Any = fields.option(
        "The image or video to inspect.",
        default=None,
        required=True,
        positional=True,
        api_positional=True,
        metavar="FILE",
        api_type="str | Path",
    )
    verify: bool = fields.flag(
        "Fail (exit 3, CredentialsError in Python) unless FILE carries an intact C2PA "
        "manifest; with --trust, its signer must also chain to one of those CAs."
    )
    trust: str | None = fields.option(
        "PEM file of CA certificates to trust: a signer chaining to one is valid, "
        "any other untrusted (faceswap ships no trust list).",
        default=None,
        metavar="CA.pem",
        api_type="str | Path | None",
    )
    json: bool = fields.json_lines(
        'Print only JSON Lines: the file\'s record, then {"summary": ...}.'
    )
    config: str | None = fields.config()
    overrides: tuple[str, ...] = fields.overrides()

    def __attrs_post_init__(self) -> None:
        if self.trust is not None and str(self.trust).strip() == "":
            raise RuleError("{trust} needs a PEM file of CA certificates")


INSPECT = Operation(
    "inspect",
    InspectSpec,
    cli=("inspect",),
    api="inspect",
    api_summary=(
        "A file's format, provenance mark and C2PA state as a dict (faceswap inspect); "
        "verify=True raises CredentialsError unless the manifest passes."
    ),
    api_returns="dict[str, Any]",
)


__all__ = ["INSPECT", "InspectSpec"]
