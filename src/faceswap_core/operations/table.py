"""The one table of user-facing operations: core's, the exporters', and plugins'.

:data:`OPERATIONS` lists core's operations. :func:`operations_of` adds one
``export NAME`` operation per registered exporter (its spec is the
exporter's config class) and the operations plugins declare through the
``register_operations`` hook (``serve`` from faceswap-rest). The contract
test walks this table and checks every surface against every spec.
"""

from __future__ import annotations

from faceswap_core.errors import PluginError
from faceswap_core.operations.bench import BENCH
from faceswap_core.operations.compare import COMPARE
from faceswap_core.operations.demo import DEMO
from faceswap_core.operations.detect import DETECT
from faceswap_core.operations.evaluate import EVAL
from faceswap_core.operations.export import EXPORT_API, export_operation
from faceswap_core.operations.operation import Operation
from faceswap_core.operations.prepare import PREPARE
from faceswap_core.operations.report import REPORT
from faceswap_core.operations.swap import SWAP
from faceswap_core.operations.train import TRAIN
from faceswap_core.operations.video import STREAM, VIDEO
from faceswap_core.plugin.kinds import EXPORTER
from faceswap_core.plugin.manager import FaceswapPlugins

OPERATIONS: tuple[Operation, ...] = (
    SWAP, DETECT, VIDEO, STREAM, EVAL, TRAIN, BENCH, REPORT, COMPARE, PREPARE, DEMO,
)  # fmt: skip
"""Core's operations; :func:`operations_of` adds exporters' and plugins'."""


def operations_of(plugins: FaceswapPlugins) -> list[Operation]:
    """Every operation: core's, one per exporter with a config class, and plugins'."""
    found = list(OPERATIONS)
    for component in plugins.registry(EXPORTER):
        if component.config is not None:
            found.append(export_operation(component.name, component.config, component.plugin))
    for operation, plugin in plugins.operations():
        if not isinstance(operation, Operation):
            raise PluginError(
                f"plugin {plugin} registered {operation!r} as an operation; register a "
                "faceswap_core.operations.Operation"
            )
        found.append(operation)
    names = [operation.name for operation in found]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:
        raise PluginError(f"operation {', '.join(clashes)} is declared twice")
    return found


def operation_named(name: str, plugins: FaceswapPlugins | None = None) -> Operation:
    """Core's operation ``name`` (or a plugin's, given the plugin manager)."""
    candidates = OPERATIONS if plugins is None else tuple(operations_of(plugins))
    for operation in candidates:
        if operation.name == name:
            return operation
    raise KeyError(name)


__all__ = [
    "BENCH",
    "COMPARE",
    "DEMO",
    "DETECT",
    "EVAL",
    "EXPORT_API",
    "OPERATIONS",
    "PREPARE",
    "REPORT",
    "STREAM",
    "SWAP",
    "TRAIN",
    "VIDEO",
    "export_operation",
    "operation_named",
    "operations_of",
]
