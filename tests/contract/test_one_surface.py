"""One declaration per operation: the CLI, the Python API, REST and OpenAPI agree with it.

For every operation (core's, one per installed exporter, and the plugins':
``serve`` from faceswap-rest) this walks the real surfaces: the click command
``make_cli`` builds, the ``faceswap.*`` function's signature, the REST
parser's accepted fields and the live OpenAPI document. Each must show the
spec's fields under the spec's names, with its choices, ranges and defaults;
a field missing from one surface must be listed as transport-only in
:mod:`faceswap_core.operations.transports`.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
import typing
from pathlib import Path
from typing import Any

import attrs
import click
import pytest

import faceswap
from faceswap_core.cli.main import make_cli
from faceswap_core.cli.spec_command import HiddenArgument, range_text, spec_command
from faceswap_core.config.ranges import Range, between, range_of
from faceswap_core.errors import ConfigError
from faceswap_core.operations import Operation, build_spec, fields
from faceswap_core.operations.export import EXPORT_CLI_ONLY
from faceswap_core.operations.openapi import properties, request_body
from faceswap_core.operations.pysig import function_source, module_source
from faceswap_core.operations.table import OPERATIONS, operations_of
from faceswap_core.operations.transports import TRANSPORT_ONLY, TRANSPORTS, transports_of
from faceswap_core.plugin.manager import FaceswapPlugins

REPO = Path(__file__).resolve().parents[2]
GENERATED = REPO / "src" / "faceswap" / "_operations.py"
HAS_REST = importlib.util.find_spec("faceswap_rest") is not None


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


@pytest.fixture(scope="module")
def cli(plugins: FaceswapPlugins) -> click.Group:
    return make_cli(plugins)


def all_operations() -> list[Operation]:
    return operations_of(FaceswapPlugins(strict=True))


def command_of(cli: click.Group, operation: Operation) -> click.Command:
    command: click.Command = cli
    ctx = click.Context(cli)
    for word in operation.cli:
        assert isinstance(command, click.Group), (operation.name, word)
        found = command.get_command(ctx, "lfw" if word == "DATASET" else word)
        assert found is not None, f"no command {' '.join(operation.cli)}"
        ctx = click.Context(found, parent=ctx)
        command = found
    return command


def _default(field: attrs.Attribute[Any]) -> Any:
    default = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return default.factory()
    return None if default is attrs.NOTHING else default


# -- the table -------------------------------------------------------------------------------


def test_every_operation_the_issue_names_is_declared() -> None:
    names = {operation.name for operation in all_operations()}
    core = {"swap", "detect", "video", "stream", "eval", "train", "bench", "report", "compare"}
    assert core | {"prepare", "demo"} <= names
    exporters = {name for name in names if name.startswith("export ")}
    assert exporters, "no exporter is installed (faceswap-retinaface registers one)"
    if HAS_REST:
        assert "serve" in names


def test_transport_only_fields_exist_in_some_spec() -> None:
    """The table lists real fields: a renamed field cannot leave a stale row behind."""
    known = {field.name for operation in all_operations() for field in attrs.fields(operation.spec)}
    for row, entries in TRANSPORT_ONLY.items():
        for name, shown in entries.items():
            assert name in known, f"TRANSPORT_ONLY[{row!r}] names {name!r}, no spec has it"
            assert shown <= set(TRANSPORTS)


# -- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation", [op for op in all_operations() if op.cli], ids=lambda op: op.name
)  # stream is Python and WebSocket only: it has no command to check
def test_cli_options_are_the_spec_fields(cli: click.Group, operation: Operation) -> None:
    command = command_of(cli, operation)
    visible = {
        param.name: param
        for param in command.params
        if not getattr(param, "hidden", False) and not isinstance(param, HiddenArgument)
    }
    expected = list(operation.names("cli"))
    if operation.derived:
        expected = [name for name in expected if name in {p.name for p in command.params}] + list(
            EXPORT_CLI_ONLY
        )
    assert sorted(visible) == sorted(expected)
    hints = typing.get_type_hints(operation.spec)
    for field, surface in operation.fields("cli"):
        param = visible.get(field.name)
        if param is None:  # a mapping of a config class has no flag
            continue
        if isinstance(param, click.Option):
            assert surface.cli_flag(field.name) in param.opts, field.name
            if surface.short:
                assert surface.short in param.opts
        choices = surface.choices
        if choices is not None and surface.parse is None:
            assert list(param.type.choices) == list(choices), field.name  # type: ignore[attr-defined]
        found = range_of(field.validator)
        plain = typing.get_args(hints[field.name]) or (hints[field.name],)
        if found is not None and (int in plain or float in plain) and surface.parse is None:
            assert isinstance(param, click.Option)
            assert f"[{range_text(found)}]" in (param.help or ""), field.name
        default = _default(field)
        if isinstance(param, click.Option) and default not in (None, False, (), "", []):
            shown = "on" if default is True else str(default)
            assert f"[default: {shown}]" in (param.help or ""), field.name
    # old spellings are there, hidden
    params = {opt: param for param in command.params for opt in getattr(param, "opts", ())}
    for _field, surface in operation.fields("cli"):
        for alias in surface.aliases:
            if alias.startswith("-"):
                assert params[alias].hidden, alias  # type: ignore[attr-defined]


# -- Python ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation",
    [op for op in OPERATIONS if op.api is not None],
    ids=lambda op: op.name,
)
def test_api_parameters_are_the_spec_fields(operation: Operation) -> None:
    function = getattr(faceswap, str(operation.api))
    parameters = inspect.signature(function).parameters
    old = {alias for _, s in operation.fields("api") for alias in s.api_aliases}
    extra = {operation.api_var_keyword} if operation.api_var_keyword else set()
    assert set(parameters) == set(operation.names("api")) | old | extra
    for field, surface in operation.fields("api"):
        parameter = parameters[field.name]
        if surface.api_positional:
            assert parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, field.name
        else:
            assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, field.name
        if not surface.required:
            assert parameter.default == _default(field), field.name
    assert (function.__doc__ or "").count(":param ") == len(parameters)


def test_the_generated_python_functions_are_fresh() -> None:
    """``nox -s surface`` regenerates src/faceswap/_operations.py; this fails when forgotten."""
    assert GENERATED.read_text(encoding="utf-8") == module_source()


def test_exporter_options_are_the_same_keywords_in_python(plugins: FaceswapPlugins) -> None:
    exporters = [op for op in operations_of(plugins) if op.derived]
    for operation in exporters:
        assert operation.api == "export"
        assert operation.names("api") == [name for name in operation.names("cli")], (
            operation.name
        )  # faceswap.export(NAME, **options): the command's options


# -- REST and OpenAPI ------------------------------------------------------------------------


def _rest_operations() -> list[Operation]:
    return [op for op in OPERATIONS if op.rest]


@pytest.mark.skipif(not HAS_REST, reason="faceswap-rest is not installed")
@pytest.mark.parametrize("operation", _rest_operations(), ids=lambda op: op.name)
def test_rest_fields_and_openapi_properties_are_the_spec_fields(operation: Operation) -> None:
    from faceswap_rest.media import request_fields
    from faceswap_rest.openapi import openapi_document
    from faceswap_rest.routes import routes

    names = operation.names("rest")
    old = [alias for _, surface in operation.fields("rest") for alias in surface.rest_aliases]
    assert list(request_fields(operation)) == [*names, *old]
    document = openapi_document(routes())
    hints = typing.get_type_hints(operation.spec)
    for route in operation.rest:
        method, path = route.split(" ", 1)
        described = document["paths"][path][method.lower()]
        if "requestBody" in described:
            schema = described["requestBody"]["content"]["multipart/form-data"]["schema"]
            shown = schema["properties"]
        else:
            shown = {p["name"]: p["schema"] for p in described["parameters"]}
        assert list(shown) == names
        for field, surface in operation.fields("rest"):
            prop = shown[field.name]
            if surface.media:
                assert prop == {**prop, "type": "string", "format": "binary"}
                continue
            if surface.choices is not None:
                assert prop["enum"] == list(surface.choices), field.name
            found = range_of(field.validator)
            plain = typing.get_args(hints[field.name]) or (hints[field.name],)
            if found is not None and (int in plain or float in plain):
                low = "exclusiveMinimum" if found.low_open else "minimum"
                high = "exclusiveMaximum" if found.high_open else "maximum"
                assert prop.get(low) == found.low, field.name
                assert prop.get(high) == found.high, field.name
            default = _default(field)
            if default not in (None, ()):  # an empty list is no text a form could send
                assert prop.get("default") == default, field.name
            else:
                assert "default" not in prop, field.name


# -- every difference is written down ---------------------------------------------------------


@pytest.mark.parametrize("operation", all_operations(), ids=lambda op: op.name)
def test_every_difference_between_surfaces_is_a_listed_one(operation: Operation) -> None:
    for field in attrs.fields(operation.spec):
        shown = transports_of(operation.name, field.name, operation.surfaces)
        for transport in operation.surfaces:
            listed = transport in shown
            present = field.name in operation.names(transport)
            if operation.derived and transport == "rest":
                continue
            assert listed == present or not field.init, (operation.name, field.name, transport)
        missing = operation.surfaces - shown
        if missing and not operation.derived and len(operation.surfaces) > 1:
            rows = {**TRANSPORT_ONLY["*"], **TRANSPORT_ONLY.get(operation.name, {})}
            assert field.name in rows, (
                f"{operation.name}.{field.name} is missing from {sorted(missing)}; "
                "list it in operations/transports.py"
            )


# -- one rule for every number ----------------------------------------------------------------


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
def test_every_float_field_refuses_nan_and_infinity(operation: Operation) -> None:
    hints = typing.get_type_hints(operation.spec)
    transport = sorted(operation.surfaces)[0]
    for field, _surface in operation.fields(transport):
        args = typing.get_args(hints[field.name]) or (hints[field.name],)
        if float not in args:
            continue
        for bad in (math.nan, math.inf):
            with pytest.raises(ConfigError, match=f"{field.name}: .*finite"):
                build_spec(operation, {field.name: bad}, "api" if "api" in operation.surfaces
                           else "cli")  # fmt: skip


# -- adding an option is one line ------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _GreetSpec:
    """Greet someone."""

    name: str | None = fields.option("Who.", default=None, required=True, api_positional=True)
    times: int = fields.option("How often.", default=1, validator=between(1, 5))
    loud: bool = fields.flag("Shout.")


def test_a_new_field_appears_on_every_surface_from_one_declaration() -> None:
    operation = Operation("greet", _GreetSpec, cli=("greet",), api="greet", rest=("POST /g",))
    seen: list[Any] = []
    command = spec_command(operation, lambda ctx, spec: seen.append(spec))
    from click.testing import CliRunner

    done = CliRunner().invoke(command, ["--name", "ada", "--times", "3", "--loud"])
    assert done.exit_code == 0, done.output
    assert seen == [_GreetSpec(name="ada", times=3, loud=True)]
    refused = CliRunner().invoke(command, ["--name", "ada", "--times", "9"])
    assert refused.exit_code == 1  # outside the faceswap group: the ConfigError itself
    assert str(refused.exception) == "times: must be between 1 and 5, got 9"
    assert "[1<=x<=5]" in CliRunner().invoke(command, ["--help"]).output
    assert properties(operation)["times"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 5,
        "default": 1,
        "description": "How often.",
    }
    assert request_body(operation)["content"]["multipart/form-data"]["schema"]["properties"]
    source = function_source(operation)
    assert "def greet(\n    name: str | None = None," not in source
    assert "    times: int = 1," in source
    assert "    loud: bool = False," in source
    assert build_spec(operation, {"name": "x", "times": "2"}, "rest") == _GreetSpec(
        name="x", times=2
    )
    assert isinstance(range_of(attrs.fields(_GreetSpec).times.validator), Range)
