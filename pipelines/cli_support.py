import re
from typing import Annotated

import pandas as pd
import typer

from datasets.common.errors import UserInputError
from datasets.common.timestamps import timestamp

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2})?)?)?(Z|[+-]00:?00)?$")


def parse_timestamp(value: str) -> pd.Timestamp:
    if not _ISO_DATE.match(value.strip()):
        raise typer.BadParameter(f"invalid date {value!r}: expected ISO 8601 like 2024-01-01 or 2024-01-01T06:00")
    try:
        parsed = timestamp(value.strip())
    except ValueError as e:
        raise typer.BadParameter(f"invalid date {value!r}: {e}") from None
    return parsed.tz_convert(None) if parsed.tzinfo else parsed


def check_window(start: pd.Timestamp | None, end: pd.Timestamp | None) -> None:
    if start is not None and end is not None and end <= start:
        raise UserInputError(f"end {end.isoformat()} must be after start {start.isoformat()}")


StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store", help="Store URL (path, file://, s3://, gs://); env REFORMAT_STORE_URL.", show_default=False
    ),
]
SourceUrlOption = Annotated[
    str | None,
    typer.Option(
        "--source-url",
        help="Base URL replacing the archive's own host/bucket prefix (a mirror with the same relative paths); "
        "env REFORMAT_SOURCE_URL.",
        show_default=False,
    ),
]
