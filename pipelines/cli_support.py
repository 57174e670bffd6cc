import re

import pandas as pd
import typer

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
