"""``demo``: a real swap on sample faces, offline, with the embedded models."""

from __future__ import annotations

from typing import Any

import attrs

from faceswap_core.operations import fields
from faceswap_core.operations.operation import Operation


@attrs.frozen(kw_only=True)
class DemoSpec:
    """Swap a face from insightface's t1.jpg onto scikit-image's astronaut.

    Writes OUTPUT/swap.png and OUTPUT/side_by_side.png (source | target | result).
    Earlier demo outputs there are replaced; any other file needs --overwrite.
    Both are signed with C2PA when FACESWAP_C2PA_CERT and FACESWAP_C2PA_KEY are set.
    """

    output: str = fields.option("Output folder.", default="faceswap-demo", short="-o")
    model: str | None = fields.model("Swapper to use (default: classic).")
    overwrite: bool = fields.overwrite(
        "Replace swap.png / side_by_side.png even if faceswap did not write them."
    )
    config: str | None = fields.config(
        "Config file or shipped config name; its pipeline section is used."
    )
    overrides: tuple[str, ...] = fields.overrides()
    runtime: Any = fields.runtime()
    providers: tuple[str, ...] = fields.providers()


DEMO = Operation("demo", DemoSpec, cli=("demo",))


__all__ = ["DEMO", "DemoSpec"]
