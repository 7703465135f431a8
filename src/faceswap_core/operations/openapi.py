"""JSON Schema (OpenAPI 3.1) of an operation's REST fields, made from its spec.

:func:`request_body` gives the ``multipart/form-data`` schema of a route that
takes the operation's fields (media fields as binary parts); :func:`query_parameters`
gives a WebSocket's (or GET route's) query parameters. Types, enums, ranges
(``minimum`` / ``exclusiveMinimum`` / ``maximum`` ...), defaults and
descriptions all come from the spec's fields and their validators, the same
that check a request, so the document cannot drift from the parser.
"""

from __future__ import annotations

import typing
from typing import Any

import attrs

from faceswap_core.config.ranges import Range, choices_of, range_of
from faceswap_core.operations.fields import Surface
from faceswap_core.operations.operation import Operation
from faceswap_core.operations.rules import render_rule

_JSON_TYPES: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _plain(tp: Any) -> Any:
    """``int | None`` -> ``int``; ``tuple[str, ...]`` -> ``tuple``; anything else as is."""
    origin = typing.get_origin(tp)
    if origin is not None and origin is not tuple:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def range_schema(found: Range) -> dict[str, float]:
    """``minimum`` / ``exclusiveMinimum`` / ``maximum`` / ``exclusiveMaximum`` of a range."""
    schema: dict[str, float] = {}
    if found.low is not None:
        schema["exclusiveMinimum" if found.low_open else "minimum"] = found.low
    if found.high is not None:
        schema["exclusiveMaximum" if found.high_open else "maximum"] = found.high
    return schema


def field_schema(
    operation: Operation, field: attrs.Attribute[Any], surface: Surface, hint: Any
) -> dict[str, Any]:
    """One field's JSON schema as a REST request carries it."""
    schema: dict[str, Any]
    if surface.media:
        schema = {"type": "string", "format": "binary"}
    elif surface.choices is not None:
        schema = {"type": "string", "enum": list(surface.choices)}
    else:
        tp = _plain(hint)
        schema = {"type": _JSON_TYPES.get(tp, "string")}
        found = range_of(field.validator)
        if found is not None and tp in (int, float):
            schema.update(range_schema(found))
        allowed = choices_of(field.validator)
        if allowed is not None and tp in (int, float, str):  # a number from a set (256, 384, 512)
            schema["enum"] = list(allowed)
    default = field.default
    if (
        not surface.media
        and default not in (None, attrs.NOTHING)
        and not isinstance(
            default,
            attrs.Factory,  # type: ignore[arg-type]
        )
    ):
        schema["default"] = default
    text = render_rule(surface.help, "rest", operation.spec)
    if surface.rest_aliases:
        text += f" (also accepted as {', '.join(repr(a) for a in surface.rest_aliases)})"
    schema["description"] = text
    return schema


def properties(operation: Operation) -> dict[str, dict[str, Any]]:
    """``{field: schema}`` of every field a REST request to ``operation`` may carry."""
    hints = typing.get_type_hints(operation.spec)
    return {
        field.name: field_schema(operation, field, surface, hints.get(field.name, str))
        for field, surface in operation.fields("rest")
    }


def required(operation: Operation) -> list[str]:
    """Fields a request must carry (the media inputs the operation cannot do without)."""
    return [
        field.name
        for field, surface in operation.fields("rest")
        if surface.required and surface.media
    ]


def request_body(operation: Operation) -> dict[str, Any]:
    """The ``requestBody`` of a multipart route taking ``operation``'s fields."""
    schema: dict[str, Any] = {"type": "object", "properties": properties(operation)}
    needed = required(operation)
    if needed:
        schema["required"] = needed
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


def query_parameters(operation: Operation) -> list[dict[str, Any]]:
    """``parameters`` (``in: query``) of a route taking ``operation``'s fields in its URL."""
    needed = {field.name for field, surface in operation.fields("rest") if surface.required}
    parameters = []
    for name, schema in properties(operation).items():
        description = schema.pop("description", "")
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": name in needed,
                "description": description,
                "schema": schema,
            }
        )
    return parameters


__all__ = [
    "field_schema",
    "properties",
    "query_parameters",
    "range_schema",
    "request_body",
    "required",
]
