import inspect
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

CARD_NAME = "dataset.toml"


@cache
def _read(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        return tomllib.load(f)


def card_table(cls: type, table: str) -> dict[str, Any]:
    """One table of the `dataset.toml` beside the module of `cls` or of the nearest base class whose card has it."""
    for klass in cls.__mro__:
        if klass.__module__ == "builtins":
            continue
        path = Path(inspect.getfile(klass)).parent / CARD_NAME
        if path.exists() and table in (card := _read(path)):
            return card[table]
    raise FileNotFoundError(f"no [{table}] table in a {CARD_NAME} beside {cls.__qualname__} or its bases")
