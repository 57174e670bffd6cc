"""A synthetic ECMWF open-data ENS archive: one GRIB2 file per init and lead time holding every member, encoded as
ECMWF does (centre ecmf, product templates 4.1 and 4.11, CCSDS packing, longitudes from 180), with the JSON-lines
`.index` giving each message's exact offset and length.

Values come from the generator of `grib_archive` and are exact multiples of 2**-fraction_bits, which the packing
keeps exactly."""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import eccodes
import numpy as np
import pandas as pd

from datasets.common.config_models import FrozenBaseModel
from datasets.common.sources.synthetic_archive import GribVariable, encode_member, expected_value
from datasets.common.sources.synthetic_grids import ArchiveGrid
from datasets.common.timestamps import timedelta

ECMWF_CENTRE = 98
ENSEMBLE_SIZE = 51

type FieldKind = Literal["instant", "running_total", "max_since_previous_step"]


def ecmwf_grid(resolution: float) -> ArchiveGrid:
    """A global regular lat/lon grid as ECMWF open data has it: 90 to -90, 180 (= -180) to 180 - resolution."""
    return ArchiveGrid(resolution=resolution, first_longitude=-180.0)


class EcmwfField(FrozenBaseModel):
    param: str  # the `.index` param and the eccodes shortName it is encoded with
    levtype: Literal["sfc", "pl"] = "sfc"
    levelist: str | None = None
    kind: FieldKind = "instant"
    offset: float = 0.0
    amplitude: float = 10.0
    fraction_bits: int = 6

    def generator(self) -> GribVariable:
        """The value generator's view of this field (its identity only seeds the spatial pattern)."""
        return GribVariable(
            element=self.param,
            level=f"{self.levtype} {self.levelist or ''}".strip(),
            discipline=0,
            category=0,
            number=0,
            surface_type=1,
            window_kind={"instant": None, "running_total": "acc", "max_since_previous_step": "max"}[self.kind],
            window_reset_hours=None if self.kind == "instant" else 1_000_000,
            offset=self.offset,
            amplitude=self.amplitude,
            fraction_bits=self.fraction_bits,
        )


def step_hours(lead: pd.Timedelta) -> int:
    return int(lead / timedelta("1h"))


def previous_step(lead: pd.Timedelta) -> pd.Timedelta:
    """The source's previous output step: 3-hourly up to 144 h, 6-hourly after."""
    return lead - timedelta("3h" if lead <= timedelta("144h") else "6h")


def window_start(field: EcmwfField, lead: pd.Timedelta) -> pd.Timedelta | None:
    match field.kind:
        case "instant":
            return None
        case "running_total":
            return timedelta(0)
        case "max_since_previous_step":
            return previous_step(lead)


def field_values(
    field: EcmwfField, init: pd.Timestamp, lead: pd.Timedelta, member: int, grid: ArchiveGrid
) -> np.ndarray:
    """The exact values of a message, (latitude, longitude) with longitudes from -180."""
    latitude, longitude = np.meshgrid(grid.latitudes, grid.longitudes, indexing="ij")
    return expected_value(
        field.generator(), init, lead, latitude, longitude, member=member, window_start=window_start(field, lead)
    )


def _new_message_handle(
    field: EcmwfField, init: pd.Timestamp, lead: pd.Timedelta, grid: ArchiveGrid, ensemble: bool
) -> object:
    handle = eccodes.codes_grib_new_from_samples("GRIB2")
    for key, value in (
        ("centre", ECMWF_CENTRE),
        ("dataDate", int(init.strftime("%Y%m%d"))),
        ("dataTime", int(init.strftime("%H%M"))),
        ("shapeOfTheEarth", 6),
    ):
        eccodes.codes_set_long(handle, key, value)
    grid.set_grid_keys(handle)
    start = window_start(field, lead)
    templates = (1, 11) if ensemble else (0, 8)
    eccodes.codes_set_long(handle, "productDefinitionTemplateNumber", templates[start is not None])
    if field.levtype == "pl":
        assert field.levelist is not None
        eccodes.codes_set_string(handle, "typeOfLevel", "isobaricInhPa")
        eccodes.codes_set_long(handle, "level", int(field.levelist))
    eccodes.codes_set_string(handle, "shortName", field.param)
    if start is None:
        eccodes.codes_set_long(handle, "step", step_hours(lead))
    else:
        eccodes.codes_set_string(handle, "stepRange", f"{step_hours(start)}-{step_hours(lead)}")
    if ensemble:
        eccodes.codes_set_long(handle, "numberOfForecastsInEnsemble", ENSEMBLE_SIZE)
    eccodes.codes_set_string(handle, "packingType", "grid_ccsds")
    return handle


def index_line(
    field: EcmwfField, init: pd.Timestamp, lead: pd.Timedelta, member: int | None, offset: int, length: int
) -> str:
    """A `.index` line; member None is the single forecast of an `oper` file."""
    entry: dict[str, object] = {
        "domain": "g",
        "date": f"{init:%Y%m%d}",
        "time": f"{init:%H%M}",
        "expver": "0001",
        "class": "od",
        "type": "fc" if member is None else "cf" if member == 0 else "pf",
        "stream": "oper" if member is None else "enfo",
        "step": str(step_hours(lead)),
        "levtype": field.levtype,
    }
    if field.levelist is not None:
        entry["levelist"] = field.levelist
    if member:
        entry["number"] = str(member)
    return json.dumps(entry | {"param": field.param, "_offset": offset, "_length": length})


def ecmwf_relative_stem(init: pd.Timestamp, lead: pd.Timedelta, stream: str = "enfo") -> str:
    kind = "oper-fc" if stream == "oper" else "enfo-ef"
    return f"{init:%Y%m%d}/{init:%H}z/ifs/0p25/{stream}/{init:%Y%m%d%H}0000-{step_hours(lead)}h-{kind}"


def write_ecmwf_file(
    root: Path,
    init: pd.Timestamp,
    lead: pd.Timedelta,
    fields: Sequence[EcmwfField],
    grid: ArchiveGrid,
    members: Sequence[int | None] = range(ENSEMBLE_SIZE),
) -> Path:
    """The lead's GRIB2 file (every field for every member, field by field) and its `.index`; members [None]
    writes the `oper` file of the single (control) forecast instead."""
    stream = "oper" if list(members) == [None] else "enfo"
    stem = root / ecmwf_relative_stem(init, lead, stream)
    stem.parent.mkdir(parents=True, exist_ok=True)
    lines, offset = [], 0
    path = stem.with_name(stem.name + ".grib2")
    with path.open("wb") as f:
        for field in fields:
            handle = _new_message_handle(field, init, lead, grid, ensemble=stream == "enfo")
            try:
                for member in members:
                    values = field_values(field, init, lead, member or 0, grid)
                    message = encode_member(handle, values, member, field.fraction_bits, control_type=0)
                    lines.append(index_line(field, init, lead, member, offset, len(message)))
                    f.write(message)
                    offset += len(message)
            finally:
                eccodes.codes_release(handle)
    stem.with_name(stem.name + ".index").write_text("\n".join(lines) + "\n")
    return path
