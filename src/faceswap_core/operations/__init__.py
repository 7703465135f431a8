"""Every user-facing operation, declared once as a typed spec; each surface is made from it.

- :mod:`.fields`: the field factories (help, flags, aliases, ranges, choices);
- :mod:`.transports`: the one list of transport-only differences;
- one module per operation (:mod:`.swap`, :mod:`.video`, :mod:`.evaluate`...);
- :mod:`.table`: :data:`~.table.OPERATIONS` and :func:`~.table.operations_of`;
- :mod:`.structure`: values from any surface into a spec (cattrs);
- :mod:`.openapi`: JSON-schema properties for REST request bodies;
- :mod:`.pysig`: the ``faceswap.*`` functions' source, generated from the specs.

The command line is made by :mod:`faceswap_core.cli.spec_command`.
"""

from __future__ import annotations

from faceswap_core.operations.operation import Operation
from faceswap_core.operations.rules import RuleError
from faceswap_core.operations.structure import build_spec

__all__ = ["Operation", "RuleError", "build_spec"]
