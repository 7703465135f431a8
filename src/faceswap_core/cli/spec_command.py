"""Click commands made from operation specs: the one generator of command-line options.

:func:`spec_command` turns an :class:`~faceswap_core.operations.Operation`
into a click command. Each field of its spec becomes an option (or an
argument) from what the field declares: its flag and short flag, metavar,
choices, range (shown in the help, checked by the field's validator from
:mod:`faceswap_core.config.ranges`), whether it repeats, its default. ``bool``
fields become ``--flag`` (off by default) or ``--flag/--no-flag`` (on by
default, or unset). Old spellings are hidden options that print one
``Warning: --out is deprecated; use -o/--output`` line and mean the new one.

What the user typed is structured into the spec (only the options given, so
the spec's defaults stay the one source of them); a bad value or a broken
cross-field rule is one ``Error:`` line with exit code 2, before the
handler runs. A component's config class (an exporter's) works the same
way: its ``:ivar name:`` docstring lines are the help (:func:`options_for`).
"""

from __future__ import annotations

import types
import typing
import warnings
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import attrs
import click
from click.core import ParameterSource

from faceswap_core.config.ranges import Range, choices_of, range_of
from faceswap_core.errors import ConfigError, FaceswapWarning
from faceswap_core.operations.fields import Surface
from faceswap_core.operations.operation import (
    Operation,
    description,
    ivar_help,
    summary_line,
)
from faceswap_core.operations.rules import render_rule
from faceswap_core.operations.structure import build_spec

S = TypeVar("S")
Handler = Callable[[click.Context, Any], None]
"""``handler(ctx, spec)``: runs the operation once the spec is built."""

ALIAS_MARK = "__was_"
"""Parameter names of hidden aliases: ``output__was_0`` is the first old spelling of output."""


# -- types ----------------------------------------------------------------------------------


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def range_text(found: Range) -> str:
    """``1<=x<=100``, ``0<x<=2``, ``x>=1``: a range as click prints one."""
    parts = []
    if found.low is not None:
        parts.append(f"{found.low:g}{'<' if found.low_open else '<='}")
    parts.append("x")
    if found.high is not None:
        parts.append(f"{'<' if found.high_open else '<='}{found.high:g}")
    return "".join(parts)


@attrs.frozen
class FieldShape:
    """What a spec field is on the command line, read from its type and declaration."""

    kind: Literal["bool", "tristate", "choice", "number", "text", "valued_flag"]
    item: Any
    repeat: bool
    choices: tuple[str, ...] | None
    range: Range | None


def field_shape(field: attrs.Attribute[Any], surface: Surface, hint: Any) -> FieldShape:
    """The command-line shape of one field (a flag, a choice, a number, text)."""
    tp, _ = _unwrap_optional(hint)
    repeat = surface.repeatable or typing.get_origin(tp) in (tuple, list)
    item = tp
    if typing.get_origin(tp) in (tuple, list):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        item = args[0] if args else str
    choices = surface.choices or choices_of(field.validator)
    if choices is None and typing.get_origin(item) is Literal:
        choices = tuple(str(c) for c in typing.get_args(item))
    found = range_of(field.validator)
    if surface.flag_value is not None:
        return FieldShape("valued_flag", str, False, None, None)
    if item is bool:
        tristate = field.default is None or field.default is True
        return FieldShape("tristate" if tristate else "bool", bool, False, None, None)
    if choices is not None:
        return FieldShape("choice", str, repeat, tuple(str(c) for c in choices), None)
    if surface.parse is not None:  # its own text form (a time such as 1:02.5)
        return FieldShape("text", str, repeat, None, found)
    if item in (int, float):
        return FieldShape("number", item, repeat, None, found)
    return FieldShape("text", str, repeat, None, None)


def _click_type(shape: FieldShape, surface: Surface) -> click.ParamType[Any]:
    if shape.kind == "choice" and surface.parse is None:
        return click.Choice(list(shape.choices or ()))
    if shape.kind == "number":
        return click.INT if shape.item is int else click.FLOAT
    return click.STRING


def _help(surface: Surface, shape: FieldShape, default: Any, spec: type[Any]) -> str:
    text = render_rule(surface.help, "cli", spec)
    if shape.range is not None:
        text += f" [{range_text(shape.range)}]"
    if shape.kind == "choice" and surface.parse is not None:
        text += f" [{'|'.join(shape.choices or ())}]"
    if shape.repeat and "repeatable" not in text.lower():
        text += " Repeatable."
    if default not in (None, False, (), "") and shape.kind not in ("tristate", "bool"):
        text += f"  [default: {default}]"
    return text


def _default(field: attrs.Attribute[Any]) -> Any:
    default = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return None
    return None if default is attrs.NOTHING else default


class HiddenArgument(click.Argument):
    """A positional argument kept for an old spelling: accepted, never shown in usage."""

    def get_usage_pieces(self, ctx: click.Context) -> list[str]:
        return []


def _option(
    decls: list[str],
    name: str,
    field: attrs.Attribute[Any],
    surface: Surface,
    shape: FieldShape,
    *,
    spec: type[Any],
    hidden: bool,
    required: bool,
) -> click.Option:
    common: dict[str, Any] = {"hidden": hidden or surface.hidden}
    default = _default(field)
    text = _help(surface, shape, default, spec)
    if shape.kind == "bool":
        return click.Option([*decls, name], is_flag=True, default=False, help=text, **common)
    if shape.kind == "tristate":
        longs = [d for d in decls if d.startswith("--")]
        shorts = [d for d in decls if not d.startswith("--")]
        pair = [f"{longs[0]}/--no-{longs[0][2:]}", *shorts] if longs else decls
        shown = "" if default is None else f"  [default: {'on' if default else 'off'}]"
        return click.Option([*pair, name], default=None, help=text + shown, **common)
    if shape.kind == "valued_flag":
        return click.Option(
            [*decls, name],
            is_flag=False,
            flag_value=surface.flag_value,
            default=None,
            metavar=surface.metavar,
            help=text,
            **common,
        )
    extra: dict[str, Any] = {}
    if surface.metavar:
        extra["metavar"] = surface.metavar
    return click.Option(
        [*decls, name],
        type=_click_type(shape, surface),
        multiple=shape.repeat,
        required=required,
        help=text,
        **extra,
        **common,
    )


def parameters_for(
    operation: Operation, hints: dict[str, Any] | None = None
) -> list[click.Parameter]:
    """The click parameters of an operation's CLI fields, hidden aliases included."""
    hints = hints if hints is not None else typing.get_type_hints(operation.spec)
    params: list[click.Parameter] = []
    for field, surface in operation.fields("cli"):
        if _is_unflaggable(hints.get(field.name, str)):
            continue
        shape = field_shape(field, surface, hints.get(field.name, str))
        has_alias = bool(surface.aliases)
        required = surface.required and not has_alias
        if surface.positional:
            params.append(
                click.Argument(
                    [field.name],
                    required=required,
                    nargs=-1 if shape.repeat else 1,
                    metavar=surface.metavar,
                    type=_click_type(shape, surface),
                )
            )
        else:
            decls = [surface.cli_flag(field.name)]
            if surface.short:
                decls.insert(0, surface.short)
            params.append(
                _option(
                    decls,
                    field.name,
                    field,
                    surface,
                    shape,
                    spec=operation.spec,
                    hidden=False,
                    required=required,
                )
            )
        for index, alias in enumerate(surface.aliases):
            dest = f"{field.name}{ALIAS_MARK}{index}"
            if alias.startswith("-"):
                params.append(
                    _option(
                        [alias],
                        dest,
                        field,
                        surface,
                        shape,
                        spec=operation.spec,
                        hidden=True,
                        required=False,
                    )
                )
            else:
                params.append(HiddenArgument([dest], required=False, metavar=alias))
    return params


def _is_unflaggable(hint: Any) -> bool:
    """Mappings and nested classes have no sensible flag (a config class keeps their default)."""
    tp, _ = _unwrap_optional(hint)
    origin = typing.get_origin(tp) or tp
    return origin in (dict, typing.Dict) or attrs.has(tp)  # noqa: UP006


def display(surface: Surface, name: str) -> str:
    """``-o/--output``: how help and warnings name an option."""
    if surface.positional:
        return (surface.metavar or name.upper()).strip("[]")
    flag = surface.cli_flag(name)
    return f"{surface.short}/{flag}" if surface.short else flag


def _given(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source is not ParameterSource.DEFAULT


def given_values(ctx: click.Context, operation: Operation) -> dict[str, Any]:
    """The fields the user gave, old spellings resolved (each with one ``Warning:`` line).

    :raises click.MissingParameter: a required option is missing (exit 2).
    :raises ConfigError: an option and its old spelling were both given.
    """
    values: dict[str, Any] = {}
    for field, surface in operation.fields("cli"):
        name = field.name
        value = ctx.params.get(name) if _given(ctx, name) else None
        for index, alias in enumerate(surface.aliases):
            dest = f"{name}{ALIAS_MARK}{index}"
            old_value = ctx.params.get(dest) if _given(ctx, dest) else None
            if old_value in (None, ()):
                continue
            new = display(surface, name)
            if value not in (None, ()):
                raise ConfigError(f"{alias} and {new} name the same thing; pass only {new}")
            old = alias if alias.startswith("-") else f"the positional {alias}"
            warned: set[str] = ctx.meta.setdefault("faceswap.warned_aliases", set())
            if alias not in warned:  # once per command, however often its values are read
                warned.add(alias)
                warnings.warn(f"{old} is deprecated; use {new}", FaceswapWarning, stacklevel=2)
            value = old_value
        if value in (None, ()):
            if surface.required and surface.aliases:
                raise click.MissingParameter(ctx=ctx, param=_param(ctx, name))
            continue
        values[name] = value
    return values


def _param(ctx: click.Context, name: str) -> click.Parameter | None:
    for param in ctx.command.params:
        if param.name == name:
            return param
    return None


def build_from_context(ctx: click.Context, operation: Operation) -> Any:
    """The operation's spec from what the user typed (exit 2 with one line when it is wrong)."""
    values = given_values(ctx, operation)
    for field, surface in operation.fields("cli"):
        if surface.parse is not None and isinstance(values.get(field.name), str):
            values[field.name] = surface.parse(values[field.name])
    return build_spec(operation, values, "cli")


def spec_command(
    operation: Operation,
    handler: Handler,
    *,
    name: str | None = None,
    epilog: str | None = None,
    help: str | None = None,
    cls: type[click.Command] = click.Command,
) -> click.Command:
    """The click command of ``operation``: options from its spec, then ``handler(ctx, spec)``."""

    def callback(**_: Any) -> None:
        ctx = click.get_current_context()
        handler(ctx, build_from_context(ctx, operation))

    return cls(
        name or operation.cli[-1],
        callback=callback,
        params=parameters_for(operation),
        help=help if help is not None else description(operation.spec),
        short_help=operation.summary,
        epilog=epilog,
    )


# -- config classes (a component's options, such as an exporter's) ---------------------------


def options_for(cls: type[Any]) -> list[click.Parameter]:
    """One click option per field of the attrs class ``cls`` (mappings are left to configs)."""
    return parameters_for(Operation(cls.__name__, cls, cli=(cls.__name__,), derived=True))


def config_values(ctx: click.Context, cls: type[Any]) -> dict[str, Any]:
    """The options of ``cls`` the user set (old spellings resolved), ready for its converter."""
    values = given_values(ctx, Operation(cls.__name__, cls, cli=(cls.__name__,), derived=True))
    return {
        key: list(value) if isinstance(value, tuple) else value for key, value in values.items()
    }


def renamed_option(old: str, new: str, dest: str, **kwargs: Any) -> Callable[[Any], Any]:
    """A hidden option ``old`` for a command that is not made from a spec: it warns once and
    its value is read with :func:`renamed_value`."""

    def store(ctx: click.Context, _: click.Parameter, value: Any) -> Any:
        if value not in (None, False, ()):
            warnings.warn(f"{old} is deprecated; use {new}", FaceswapWarning, stacklevel=2)
            ctx.meta.setdefault("faceswap.renamed", {})[dest] = value
        return value

    return click.option(old, hidden=True, expose_value=False, callback=store, **kwargs)


def renamed_value(ctx: click.Context, dest: str, value: Any) -> Any:
    """``value``, or what the old spelling of ``dest`` gave."""
    old = ctx.meta.get("faceswap.renamed", {}).get(dest)
    return value if old is None else (value or old)


__all__ = [
    "FieldShape",
    "Handler",
    "HiddenArgument",
    "build_from_context",
    "config_values",
    "display",
    "field_shape",
    "given_values",
    "ivar_help",
    "options_for",
    "parameters_for",
    "range_text",
    "renamed_option",
    "renamed_value",
    "spec_command",
    "summary_line",
]
