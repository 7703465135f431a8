"""The ``faceswap.*`` operation functions, written as Python source from the specs.

Generated code rather than functions built at run time, so users and mypy see
real, typed signatures (``faceswap.swap(target, source, *, model=None, ...)``)
and the docs their parameters; the generator is the only author. Each
function passes its arguments to ``faceswap._run.call``, which structures
them into the spec (the same validation as the CLI and REST) and runs the
operation. Old keyword names are keyword-only parameters that still work,
with one :class:`~faceswap_core.errors.FaceswapWarning` naming the new one.

Regenerate with ``nox -s surface`` (``python -m faceswap_core.operations.pysig
src/faceswap/_operations.py``); ``tests/contract/test_one_surface.py`` fails
when the file is not what the specs make.
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from faceswap_core.io.atomic import atomic_write_text
from faceswap_core.operations.fields import Surface
from faceswap_core.operations.operation import Operation
from faceswap_core.operations.rules import render_rule
from faceswap_core.operations.table import OPERATIONS

HEADER = '''"""faceswap's operation functions, generated from faceswap_core.operations; do not edit.

Regenerate with ``nox -s surface``; a test fails when this file and the specs
disagree. Each function checks its arguments like the command line does and
runs the operation (see :mod:`faceswap._run`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faceswap._run import REQUIRED, call

if TYPE_CHECKING:
    from faceswap_core.eval.evaluator import EvalResult
    from faceswap_core.experiment.compare import CompareReport
    from faceswap_core.experiment.run import RunResult
    from faceswap_core.interfaces.face import Face, Image
    from faceswap_core.pipeline.image import Pipeline
    from faceswap_core.pipeline.stream import Frame
    from faceswap_core.pipeline.video import VideoReport

ImageInput = Any
"""A path, bytes, a PIL image or an RGB ``uint8`` array."""
'''


def _annotation(operation: Operation, field: attrs.Attribute[Any], surface: Surface) -> str:
    if surface.api_type is not None:
        return surface.api_type
    if surface.media:
        return "ImageInput"
    raw = operation.spec.__annotations__.get(field.name, "Any")
    text = raw if isinstance(raw, str) else getattr(raw, "__name__", "Any")
    return text.replace("tuple[str, ...]", "Sequence[str]")


def _literal(value: Any) -> str:
    """Source text of a default, as ruff formats it (double quotes)."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple):
        inner = ", ".join(_literal(item) for item in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def _default(field: attrs.Attribute[Any]) -> str | None:
    """The default as source text; ``None`` when the parameter has none."""
    default = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return _literal(default.factory())  # type: ignore[union-attr]
    if default is attrs.NOTHING:
        return None
    return _literal(default)


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, width=96 - len(indent), subsequent_indent="    ") or [""]


def function_source(operation: Operation) -> str:
    """The source of ``faceswap.<operation.api>``."""
    assert operation.api is not None
    fields = list(operation.fields("api"))
    positional = [(f, s) for f, s in fields if s.api_positional]
    keywords = [(f, s) for f, s in fields if not s.api_positional]
    lines = [f"def {operation.api}("]
    needs_default = False
    for field, surface in positional:
        default = _default(field)
        if surface.required and (surface.api_aliases or needs_default):
            default = "REQUIRED"
        elif surface.required:
            default = None
        needs_default = needs_default or default is not None
        suffix = "" if default is None else f" = {default}"
        lines.append(f"    {field.name}: {_annotation(operation, field, surface)}{suffix},")
    old: list[tuple[str, str, str]] = []
    for field, surface in fields:
        for alias in surface.api_aliases:
            old.append((alias, field.name, _annotation(operation, field, surface)))
    if keywords or old:
        lines.append("    *,")
    for field, surface in keywords:
        default = _default(field)
        if surface.required:
            default = "REQUIRED"
        lines.append(f"    {field.name}: {_annotation(operation, field, surface)} = {default},")
    for alias, _new, _annotation_text in old:
        lines.append(f"    {alias}: Any = None,")
    if operation.api_var_keyword:
        lines.append(f"    **{operation.api_var_keyword}: Any,")
    lines.append(f") -> {operation.api_returns}:")
    summary = operation.api_summary or operation.summary
    doc = ["    " + line.replace("    ", "", 1) for line in _wrap(summary, "    ")]
    doc[0] = '    """' + doc[0].strip()
    doc.append("")
    for field, surface in fields:
        text = render_rule(surface.help, "api", operation.spec)
        doc += ["    " + line for line in _wrap(f":param {field.name}: {text}", "    ")]
    for alias, new, _annotation_text in old:
        doc.append(f"    :param {alias}: deprecated; use ``{new}``.")
    if operation.api_var_keyword:
        text = f":param {operation.api_var_keyword}: {operation.api_var_keyword_help}"
        doc += ["    " + line for line in _wrap(text, "    ")]
    doc.append('    """')
    body = [
        f"    result: {operation.api_returns} = call({json.dumps(operation.name)}, locals())",
        "    return result",
    ]
    return "\n".join([*lines, *doc, *body]) + "\n"


def module_source(operations: Iterable[Operation] = OPERATIONS) -> str:
    """The whole generated module: the header, then one function per API operation."""
    chosen = [operation for operation in operations if operation.api is not None]
    chosen = [operation for operation in chosen if not operation.derived]
    names = sorted(str(operation.api) for operation in chosen)
    parts = [HEADER]
    for operation in chosen:
        parts.append("\n\n" + function_source(operation))
    exported = "".join(f'    "{name}",\n' for name in ["ImageInput", *names])
    parts.append(f"\n\n__all__ = [\n{exported}]\n")
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    """``python -m faceswap_core.operations.pysig OUT``: write the generated module."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m faceswap_core.operations.pysig OUT.py", file=sys.stderr)
        return 2
    atomic_write_text(Path(args[0]), module_source())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["HEADER", "function_source", "module_source"]
