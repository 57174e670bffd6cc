"""Command-line options derived from RunRequest: each run command takes the request fields of its operation, each
with a flag, help text and REFORMAT_* environment variable (empty = unset: Argo pods pass every one)."""

import inspect
from collections.abc import Callable, Mapping
from types import UnionType
from typing import Annotated, Any, get_args, get_origin

import pandas as pd
import typer

from pipelines.cli_support import parse_timestamp
from steps.run_request import Instant, Operation, RunRequest, env_name, field_extra, field_operations, option_name

# How each kind of field reads on the command line: (annotation, typer keyword arguments)
_SHAPES: dict[str, tuple[Any, dict[str, Any]]] = {
    "timestamp": (pd.Timestamp | None, {"parser": parse_timestamp}),
    "timestamps": (list[pd.Timestamp] | None, {"parser": parse_timestamp}),
    "strings": (list[str] | None, {}),
    "bool": (bool, {}),
    "int": (int, {}),
    "string": (str | None, {}),
}


def _shape(name: str) -> str:
    annotation = RunRequest.model_fields[name].annotation
    origin, args = get_origin(annotation), get_args(annotation)
    element = args[0] if origin in (tuple, UnionType) else annotation
    if origin is tuple:
        return "timestamps" if element is Instant else "strings"
    if element is Instant:
        return "timestamp"
    return {bool: "bool", int: "int"}.get(annotation, "string")


def request_fields(operation: Operation | None) -> list[str]:
    """The fields a command for `operation` takes (None: a command that is told the operation)."""
    if operation is None:
        return list(RunRequest.model_fields)
    return [name for name in RunRequest.model_fields if name != "operation" and operation in field_operations(name)]


def _info(name: str, default: Any, positional: bool) -> Any:
    description = RunRequest.model_fields[name].description
    options = _SHAPES[_shape(name)][1]
    if positional and field_extra(name).get("argument"):
        return typer.Argument(help=description, show_default=False, **options)
    return typer.Option(
        option_name(name), help=description, envvar=env_name(name), show_default=default not in (None, ()), **options
    )


def request_parameter(name: str, default: Any, *, positional: bool = False) -> inspect.Parameter:
    base = _SHAPES[_shape(name)][0]
    annotation = Annotated[base, _info(name, default, positional)]  # ty: ignore[invalid-type-form] (built at runtime for typer)
    if positional and field_extra(name).get("argument"):
        return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation)
    default = None if default == () else default
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def request_command(
    app: typer.Typer,
    name: str,
    handler: Callable[..., None],
    *,
    operation: Operation | None,
    defaults: Mapping[str, Any] | None = None,
    positional: bool = True,
) -> None:
    """Register `handler(request: RunRequest, **own_options)` as command `name`: its options are the request
    fields of `operation` (positional arguments where the field says so) followed by the handler's own."""
    fields = request_fields(operation)
    model_defaults = {n: f.default for n, f in RunRequest.model_fields.items()} | dict(defaults or {})
    request_params = [request_parameter(n, model_defaults[n], positional=positional) for n in fields]
    own_params = list(inspect.signature(handler).parameters.values())[1:]
    ordered = sorted(request_params, key=lambda p: p.kind) + [_keyword_only(p) for p in own_params]

    def command(**values: Any) -> None:
        request_values = {n: values.pop(n) for n in fields}
        fixed = {} if operation is None else {"operation": operation}
        handler(RunRequest.parse(**request_values, **fixed), **values)

    command.__signature__ = inspect.Signature(ordered)  # ty: ignore[missing-attribute]
    command.__annotations__ = {p.name: p.annotation for p in ordered}
    command.__doc__ = handler.__doc__
    app.command(name)(command)


def _keyword_only(parameter: inspect.Parameter) -> inspect.Parameter:
    return parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY)


# Request options for commands that are not runs but name the same things
StoreOption = Annotated[str | None, _info("store_url", None, positional=False)]
ReplicaOption = Annotated[list[str] | None, _info("replica_urls", (), positional=False)]
SourceUrlOption = Annotated[str | None, _info("source_url", None, positional=False)]
RunIdOption = Annotated[str, _info("run_id", None, positional=False)]
