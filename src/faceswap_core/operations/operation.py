"""One user-facing operation: its spec class and the surfaces made from it.

An :class:`Operation` names a typed spec (a frozen attrs class whose fields
are made with :mod:`faceswap_core.operations.fields`) and says where it
appears: a command (``cli``), a ``faceswap.*`` function (``api``) and REST
routes (``rest``). Which of the spec's fields each surface shows comes from
:mod:`faceswap_core.operations.transports`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import attrs

from faceswap_core.operations.fields import Surface, surface_of
from faceswap_core.operations.transports import Transport, transports_of

_IVAR = re.compile(r"^\s*:ivar\s+(\w+):\s*(.*)$")


def ivar_help(cls: type[Any]) -> dict[str, str]:
    """``{field: text}`` from ``:ivar field: text`` lines (with their indented continuations)."""
    found: dict[str, str] = {}
    current: str | None = None
    for line in (cls.__doc__ or "").splitlines():
        match = _IVAR.match(line)
        if match:
            current = match.group(1)
            found[current] = match.group(2).strip()
        elif current is not None and line.strip() and not line.strip().startswith(":"):
            found[current] += " " + line.strip()
        else:
            current = None
    return found


def surface_for(cls: type[Any], field: attrs.Attribute[Any]) -> Surface:
    """A field's declared :class:`Surface`, or one derived from the class's ``:ivar:`` help
    (a component's config class, such as an exporter's, declares its options that way)."""
    declared = surface_of(field)
    if declared is not None:
        return declared
    required = field.default is attrs.NOTHING
    text = ivar_help(cls).get(field.name, "").replace("``", "")
    return Surface(help=text, required=required)


def summary_line(cls: type[Any]) -> str:
    """The first paragraph of a class docstring, on one line."""
    doc = (cls.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(doc.split())


def description(cls: type[Any]) -> str:
    """A class docstring without its ``:ivar:`` lines (the command's help)."""
    kept = [
        line
        for line in (cls.__doc__ or "").strip().splitlines()
        if not line.strip().startswith(":ivar")
    ]
    return "\n".join(line[4:] if line.startswith("    ") else line for line in kept).strip()


@attrs.frozen
class Operation:
    """A user-facing operation, declared once.

    :ivar name: its name in the contract test and the docs (``swap``, ``eval``).
    :ivar spec: the typed spec class; its fields are the operation's options.
    :ivar cli: the command words (``("swap",)``, ``("data", "DATASET", "prepare")``);
        empty when there is no command.
    :ivar api: the ``faceswap.*`` function, or ``None``.
    :ivar rest: the REST routes whose request fields come from the spec
        (``"POST /v1/swap"``; a WebSocket's query as ``"GET /v1/stream"``).
    :ivar distribution: who provides it (``faceswap-core``, ``faceswap-rest``).
    :ivar api_summary: the first line of the Python function's docstring (default: the
        spec's summary, which is the command's).
    :ivar api_returns: the return annotation of the ``faceswap.*`` function.
    :ivar api_var_keyword: the name of the function's ``**keywords`` kept for old
        callers (``params`` of ``faceswap.swap``: swapper parameters), if any.
    :ivar derived: the spec is a component's config class (an exporter's): every
        init field is an option, described by the class's ``:ivar:`` lines unless
        it declares a :class:`Surface`.
    """

    name: str
    spec: type[Any]
    cli: tuple[str, ...] = ()
    api: str | None = None
    rest: tuple[str, ...] = ()
    distribution: str = "faceswap-core"
    api_summary: str | None = None
    api_returns: str = "Any"
    api_var_keyword: str | None = None
    api_var_keyword_help: str = ""
    derived: bool = False

    @property
    def surfaces(self) -> frozenset[Transport]:
        found: set[Transport] = set()
        if self.cli:
            found.add("cli")
        if self.api is not None:
            found.add("api")
        if self.rest:
            found.add("rest")
        return frozenset(found)

    @property
    def summary(self) -> str:
        return summary_line(self.spec)

    def fields(self, transport: Transport) -> Iterator[tuple[attrs.Attribute[Any], Surface]]:
        """The spec's fields that ``transport`` shows, in declaration order."""
        for field in attrs.fields(self.spec):
            if not field.init:
                continue
            surface = surface_for(self.spec, field) if self.derived else surface_of(field)
            if surface is None:
                continue
            if transport in transports_of(self.name, field.name, self.surfaces):
                yield field, surface

    def names(self, transport: Transport) -> list[str]:
        """The field names ``transport`` shows (the contract test compares these)."""
        return [field.name for field, _ in self.fields(transport)]


__all__ = ["Operation", "description", "ivar_help", "summary_line", "surface_for"]
