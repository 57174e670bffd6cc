"""ECMWF open-data `.index` files: one JSON object per line with the exact byte range of each field."""

import json
from collections.abc import Sequence

from pydantic import Field, ValidationError

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import SourceNotFoundError, SourceReadError


class EcmwfIndexEntry(FrozenBaseModel):
    model_config = FrozenBaseModel.model_config | {"extra": "ignore", "populate_by_name": True}

    param: str
    levtype: str
    levelist: str | None = None
    number: int | None = None
    type: str  # cf = control forecast, pf = perturbed forecast, fc = the single (control) forecast of oper
    step: str
    date: str | None = None
    time: str | None = None
    offset: int = Field(alias="_offset", ge=0)
    length: int = Field(alias="_length", gt=0)

    @property
    def ensemble_member(self) -> int:
        """0 for the control forecast, 1… for perturbed members."""
        if self.type in ("cf", "fc"):
            return 0
        assert self.number is not None, f"perturbed entry {self.param} step {self.step} has no number"
        return self.number

    @property
    def byte_range(self) -> tuple[int, int]:
        return (self.offset, self.offset + self.length)


def parse_ecmwf_index(text: str) -> list[EcmwfIndexEntry]:
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entries.append(EcmwfIndexEntry.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as e:
            raise SourceReadError(f"index line {number} is malformed: {str(e).splitlines()[0]}") from None
    return entries


def select_ecmwf_entry(
    entries: Sequence[EcmwfIndexEntry],
    param: str,
    step: str | None,
    ensemble_member: int,
    levtype: str = "sfc",
    levelist: str | None = None,
) -> EcmwfIndexEntry:
    """The one entry with this identity; `step` None matches any step (an open-data file holds one lead)."""
    matches = [
        e
        for e in entries
        if (e.param, e.levtype, e.levelist) == (param, levtype, levelist)
        and step in (None, e.step)
        and e.ensemble_member == ensemble_member
    ]
    identity = f"param={param} step={step} member={ensemble_member} levtype={levtype} levelist={levelist}"
    if not matches:
        raise SourceNotFoundError(f"no index entry for {identity}")
    if len(matches) > 1:
        raise SourceReadError(f"{len(matches)} index entries for {identity}")
    return matches[0]
