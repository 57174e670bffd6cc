"""What a person asks a run to do: one model, from which every command's options, the Argo workflow parameters
and their container environment, and the plan record's copy are derived. A new run option is one field here.

Field metadata (`json_schema_extra`): `operations` — which operations take the option (default both); `flag` — a
command-line flag other than `--field-name`; `argument` — a positional argument of the commands that take it.
Each field also has an environment variable `REFORMAT_FIELD_NAME` and an Argo parameter `field-name`.
"""

import hashlib
import re
from typing import Annotated, Any, Literal, Self

import pandas as pd
from pydantic import BeforeValidator, Field, PlainSerializer, ValidationError, field_validator, model_validator
from pydantic.json_schema import JsonDict

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import UserInputError
from datasets.common.storage import parse_store_config
from datasets.common.timestamps import timestamp

type Operation = Literal["backfill", "update"]
OPERATIONS: tuple[Operation, ...] = ("backfill", "update")
BACKFILL_ONLY: JsonDict = {"operations": ["backfill"]}
RUN_ID = re.compile(r"^[A-Za-z0-9._-]+$")
# What makes two requests the same run: everything but how it is spread over workers and what it is called.
NOT_IDENTITY = {"run_id", "workers"}


def _naive(value: Any) -> pd.Timestamp:
    try:
        parsed = timestamp(value)
    except ValueError as e:
        raise ValueError(f"invalid date {value!r}: {e}") from None
    return parsed.tz_convert(None) if parsed.tzinfo else parsed


type Instant = Annotated[
    pd.Timestamp, BeforeValidator(_naive), PlainSerializer(lambda t: t.isoformat(), return_type=str)
]


class RunRequest(FrozenBaseModel):
    operation: Operation = Field("backfill", description="backfill a window, or update: append what is new")
    append_dim_end: Instant | None = Field(
        None,
        description="Append-dim end (exclusive), ISO 8601.",
        json_schema_extra={**BACKFILL_ONLY, "argument": True},
    )
    filter_start: Instant | None = Field(
        None, description="Only shards ending at or after this time.", json_schema_extra=BACKFILL_ONLY
    )
    filter_end: Instant | None = Field(
        None, description="Only shards starting before this time.", json_schema_extra=BACKFILL_ONLY
    )
    filter_contains: tuple[Instant, ...] = Field(
        (), description="Only shards holding this time (repeatable).", json_schema_extra=BACKFILL_ONLY
    )
    filter_variable_names: tuple[str, ...] = Field(
        (), description="Only these variables (repeatable).", json_schema_extra=BACKFILL_ONLY
    )
    workers: int = Field(1, description="Write workers: processes here, pods on Argo.")
    overwrite_chunks: bool = Field(
        False, description="Allow rewriting published shards.", json_schema_extra=BACKFILL_ONLY
    )
    overwrite_metadata: bool = Field(
        False, description="Allow changing published attributes.", json_schema_extra=BACKFILL_ONLY
    )
    run_id: str | None = Field(
        None, description="Names the run's record; the default resumes an unfinished run of the same request."
    )
    store_url: str | None = Field(
        None,
        description="Store URL (path, file://, s3://, gs://); default ./data/DATASET-ID/vVERSION.icechunk.",
        json_schema_extra={"flag": "--store"},
    )
    replica_urls: tuple[str, ...] = Field(
        (),
        description="Replica store URL (repeatable; .zarr = plain Zarr v3, else Icechunk).",
        json_schema_extra={"flag": "--replica"},
    )
    source_url: str | None = Field(
        None,
        description="Base URL replacing the archive's own host/bucket prefix (a mirror with the same relative paths).",
    )

    @field_validator("operation", mode="before")
    @classmethod
    def _known_operation(cls, value: Any) -> Any:
        if value not in OPERATIONS:
            raise ValueError(f"unknown operation {value!r}: use backfill or update")
        return value

    @field_validator("append_dim_end", "filter_start", "filter_end", mode="before")
    @classmethod
    def _empty_instant_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("filter_contains", "filter_variable_names", mode="before")
    @classmethod
    def _listed(cls, values: Any) -> Any:
        return tuple(_split(values))

    @field_validator("replica_urls", mode="before")
    @classmethod
    def _urls(cls, values: Any) -> Any:
        return tuple(url for value in _split(values) for url in value.split(",") if url)

    @field_validator("run_id", "store_url", "source_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return value or None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, not {self.workers}")
        if self.run_id is not None and not RUN_ID.match(self.run_id):
            raise ValueError(f"run id {self.run_id!r} must use only letters, digits, '.', '_', '-'")
        if self.filter_start is not None and self.filter_end is not None and self.filter_end <= self.filter_start:
            raise ValueError(f"end {self.filter_end.isoformat()} must be after start {self.filter_start.isoformat()}")
        if self.operation == "update":
            given = [
                name for name in backfill_only_fields() if getattr(self, name) != type(self).model_fields[name].default
            ]
            if given:
                raise ValueError(f"an update takes no {', '.join(option_name(n) for n in given)}")
        elif self.append_dim_end is None:
            raise ValueError("a backfill needs an append-dim end")
        for url in (self.store_url, *self.replica_urls):
            if url is not None:
                parse_store_config(url)
        return self

    @classmethod
    def parse(cls, **values: Any) -> Self:
        """Build from untyped input (command-line options, environment): any problem is a UserInputError."""
        try:
            return cls(**values)
        except ValidationError as e:
            error = e.errors()[0]
            location = ".".join(str(part) for part in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            raise UserInputError(f"{option_name(location)}: {message}" if location else message) from None

    def check(self, append_dim_start: pd.Timestamp, variable_names: set[str]) -> None:
        """What only the dataset knows: the end lies after its start, the variables exist."""
        if self.append_dim_end is not None and self.append_dim_end <= append_dim_start:
            raise UserInputError(
                f"end {self.append_dim_end.isoformat()} must be after the dataset start {append_dim_start.isoformat()}"
            )
        unknown = [name for name in self.filter_variable_names if name not in variable_names]
        if unknown:
            raise UserInputError(
                f"unknown variable name(s) {', '.join(unknown)} (known: {', '.join(sorted(variable_names))})"
            )

    @property
    def identity(self) -> str:
        """Equal for requests that are the same run (whatever its id or worker count)."""
        return hashlib.sha256(self.model_dump_json(exclude=NOT_IDENTITY).encode()).hexdigest()[:16]


def _split(values: Any) -> list[Any]:
    if values is None or values == "":
        return []
    if isinstance(values, str):
        return values.split()
    return list(values)


def backfill_only_fields() -> list[str]:
    return [name for name in RunRequest.model_fields if field_operations(name) == ("backfill",)]


def field_extra(name: str) -> dict[str, Any]:
    extra = RunRequest.model_fields[name].json_schema_extra
    return extra if isinstance(extra, dict) else {}


def field_operations(name: str) -> tuple[Operation, ...]:
    return tuple(field_extra(name).get("operations", OPERATIONS))


def option_name(field: str) -> str:
    """The field as a person names it: its command-line flag."""
    if field not in RunRequest.model_fields:
        return field
    return str(field_extra(field).get("flag") or "--" + field.replace("_", "-"))


def env_name(field: str) -> str:
    return f"REFORMAT_{field.upper()}"


def argo_name(field: str) -> str:
    return field.replace("_", "-")
