"""Command-line options made from a component's attrs config class.

A plugin's exporter declares its options once, as the fields of its config
class; this module turns them into click options (``min_shape`` ->
``--min-shape``, ``bool`` -> ``--flag/--no-flag``, ``Literal`` -> a choice,
``list[str]`` -> a repeatable option) with the help text of the class's
``:ivar name:`` lines, and turns what the user typed back into a mapping for
the strict config converter. Only options the user actually gave are passed
on, so the config class's defaults stay the single source of truth.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any, Literal

import attrs
import click

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


def summary_line(cls: type[Any]) -> str:
    """The first paragraph of a class docstring, on one line."""
    doc = (cls.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(doc.split())


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _option_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def options_for(cls: type[Any]) -> list[click.Option]:
    """One click option per field of the attrs class ``cls`` (mappings are left to configs)."""
    hints = typing.get_type_hints(cls)
    helps = ivar_help(cls)
    options: list[click.Option] = []
    for field in attrs.fields(cls):
        tp, _ = _unwrap_optional(hints.get(field.name, str))
        origin = typing.get_origin(tp)
        required = field.default is attrs.NOTHING
        default = None if required or isinstance(field.default, attrs.Factory) else field.default  # type: ignore[arg-type]
        text = helps.get(field.name, "").replace("``", "")
        name = _option_name(field.name)
        if tp is bool and not default:
            options.append(click.Option([name], is_flag=True, default=False, help=text))
        elif tp is bool:
            options.append(
                click.Option(
                    [f"{name}/--no-{name[2:]}"], default=True, show_default=True, help=text
                )
            )
        elif origin is Literal:
            choice = click.Choice([str(c) for c in typing.get_args(tp)])
            options.append(_valued(name, choice, required, default, text))
        elif origin in (list, tuple):
            (item,) = typing.get_args(tp)[:1]
            options.append(
                click.Option(
                    [name],
                    multiple=True,
                    type=item if item in (int, float, str) else str,
                    help=text + " Repeatable.",
                )
            )
        elif tp in (int, float, str):
            options.append(_valued(name, tp, required, default, text))
        # Mappings and nested classes have no sensible flag; they keep their defaults.
    return options


def _valued(name: str, kind: Any, required: bool, default: Any, text: str) -> click.Option:
    # click >= 8.3 treats an explicit default=None as a value: pass a default only if there is one.
    if default is None:
        return click.Option([name], type=kind, required=required, help=text)
    return click.Option([name], type=kind, default=default, show_default=True, help=text)


def given_values(ctx: click.Context, cls: type[Any]) -> dict[str, Any]:
    """The options of ``cls`` the user set on the command line, ready for the converter."""
    values: dict[str, Any] = {}
    for field in attrs.fields(cls):
        if field.name not in ctx.params:
            continue
        source = ctx.get_parameter_source(field.name)
        if source in (click.core.ParameterSource.DEFAULT, None):
            continue
        value = ctx.params[field.name]
        values[field.name] = list(value) if isinstance(value, tuple) else value
    return values


__all__ = ["given_values", "ivar_help", "options_for", "summary_line"]
