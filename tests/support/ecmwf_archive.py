"""A synthetic ECMWF open-data ENS archive: one GRIB2 file per init and lead time holding every member, encoded as
ECMWF does (centre ecmf, product templates 4.1 and 4.11, CCSDS packing, longitudes from 180), with the JSON-lines
`.index` giving each message's exact offset and length.

Values come from the generator of `grib_archive` and are exact multiples of 2**-fraction_bits, which the packing
keeps exactly."""

import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import eccodes
import numpy as np
import pandas as pd

from datasets.common.config_models import FrozenBaseModel
from datasets.common.sources.synthetic_archive import GribVariable, encode_member, expected_value
from datasets.common.sources.synthetic_grids import ArchiveGrid
from datasets.common.timestamps import timedelta
from datasets.common.transforms.rounding import round_for_storage
from datasets.common.transforms.units import KELVIN_AT_ZERO_CELSIUS
from datasets.ecmwf.ecmwf_variables import EcmwfDataVar
from tests.support.region_jobs import TemplateInFolder

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


def ecmwf_relative_stem(init: pd.Timestamp, lead: pd.Timedelta, stream: str = "enfo", model: str = "ifs/0p25") -> str:
    """`model` is the path's `{model}/{resol}` part, e.g. `ifs/0p25` or `aifs-single/0p25/experimental`."""
    kind = "oper-fc" if stream == "oper" else "enfo-ef"
    return f"{init:%Y%m%d}/{init:%H}z/{model}/{stream}/{init:%Y%m%d%H}0000-{step_hours(lead)}h-{kind}"


def write_ecmwf_file(
    root: Path,
    init: pd.Timestamp,
    lead: pd.Timedelta,
    fields: Sequence[EcmwfField],
    grid: ArchiveGrid,
    members: Sequence[int | None] = range(ENSEMBLE_SIZE),
    model: str = "ifs/0p25",
) -> Path:
    """The lead's GRIB2 file (every field for every member, field by field) and its `.index`; members [None]
    writes the `oper` file of the single (control) forecast instead."""
    stream = "oper" if list(members) == [None] else "enfo"
    stem = root / ecmwf_relative_stem(init, lead, stream, model)
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


TEST_GRID = ecmwf_grid(10.0)
# (offset, amplitude) of the generating function per stored unit, in the source's units
RANGES: dict[str, tuple[float, float]] = {
    "Pa": (98_000.0, 3_000.0),
    "degree_Celsius": (280.0, 25.0),  # generated in kelvin
    "m s-1": (0.0, 15.0),
    "kg m-2 s-1": (1.0, 0.5),  # metres of water per hour, always positive
    "W m-2": (300.0, 200.0),  # J m-2 per hour
    "1": (3.0, 3.0),
    "percent": (0.5, 0.5),  # a fraction
    "m": (1_500.0, 500.0),
}
STANDARD_GRAVITY = 9.80665
UNIT_SCALES = {
    "fraction_to_percent": np.float32(100),
    "metres_of_water_to_kg_m2": np.float32(1000),
    "geopotential_to_geopotential_height": np.float32(1 / STANDARD_GRAVITY),
}
# A field no variable reads, so selection has to skip it.
UNREAD_FIELD = EcmwfField(param="q", levtype="pl", levelist="700", offset=0.01, amplitude=0.005, fraction_bits=10)


def ecmwf_field(data_var: EcmwfDataVar, lead: pd.Timedelta) -> EcmwfField:
    attrs = data_var.internal_attrs
    offset, amplitude = RANGES[data_var.attrs.units]
    if attrs.unit_conversion == "geopotential_to_geopotential_height":  # published as geopotential, m2 s-2
        offset, amplitude = offset * STANDARD_GRAVITY, amplitude * STANDARD_GRAVITY
    kind = "running_total" if attrs.deaccumulate_to_rate else "instant"
    if data_var.attrs.step_type == "max":
        kind = "max_since_previous_step"
    return EcmwfField(
        param=attrs.index_param_at(lead),
        levtype=attrs.index_levtype,
        levelist=attrs.index_levelist,
        kind=kind,
        offset=offset,
        amplitude=amplitude,
        fraction_bits=0 if data_var.attrs.flag_values else 6,
    )


type SourceScaleOf = Callable[[str, pd.Timestamp], float | None]


def no_source_scale(name: str, init: pd.Timestamp) -> float | None:
    return None


def source_values(
    data_var: EcmwfDataVar,
    init: pd.Timestamp,
    lead: pd.Timedelta,
    member: int,
    source_scale: SourceScaleOf = no_source_scale,
) -> np.ndarray:
    """The message the job reads for `data_var` (member 0 is also a single forecast's), in the stored units,
    before deaccumulation and rounding."""
    attrs = data_var.internal_attrs
    values = field_values(ecmwf_field(data_var, lead), init, lead, member, TEST_GRID).astype(np.float32)
    scale = source_scale(data_var.name, init)  # the factor from the source's units at `init` to the stored ones
    if scale is not None:
        values = values * np.float32(scale)
    if attrs.unit_conversion == "kelvin_to_celsius":
        return values - np.float32(KELVIN_AT_ZERO_CELSIUS)
    if attrs.unit_conversion is not None:
        return values * UNIT_SCALES[attrs.unit_conversion]
    return values


def expected_stored_values(
    data_var: EcmwfDataVar,
    init: pd.Timestamp,
    leads: Sequence[pd.Timedelta],
    members: Sequence[int],
    available: Callable[[pd.Timestamp, pd.Timedelta, int], bool],
    source_scale: SourceScaleOf = no_source_scale,
) -> np.ndarray:
    """(lead, member, latitude, longitude) as the dataset must store them, NaN where no value can exist.

    Running totals become rates along the stored lead times: (A - A_previous) / step, with A_previous = 0 at lead 0.
    """
    attrs = data_var.internal_attrs
    out = np.full((len(leads), len(members), TEST_GRID.nj, TEST_GRID.ni), np.nan, dtype=np.float32)

    def message(lead: pd.Timedelta, member: int) -> np.ndarray | None:
        if not available(init, lead, member) or not attrs.available(init, lead):
            return None
        return source_values(data_var, init, lead, member, source_scale)

    for (i, lead), (j, member) in ((a, b) for a in enumerate(leads) for b in enumerate(members)):
        values = message(lead, member)
        if values is None:
            continue
        if attrs.deaccumulate_to_rate:
            if i == 0:
                continue
            previous = leads[i - 1]
            if previous != timedelta(0):
                previous_values = message(previous, member)
                if previous_values is None:
                    continue
                values = values - previous_values
            values = values / np.float32((lead - previous).total_seconds())
        out[i, j] = values
    return round_for_storage(out, attrs)


class SmallGridEcmwfTemplate(TemplateInFolder):
    """Inherit first, before an ECMWF dataset's TemplateConfig: its template on TEST_GRID with a few of its lead
    times, rendered to a test folder."""

    lead_hours: tuple[int, ...]

    def latitudes(self) -> np.ndarray:
        return TEST_GRID.latitudes

    def longitudes(self) -> np.ndarray:
        return TEST_GRID.longitudes

    def lead_times(self) -> pd.TimedeltaIndex:
        return pd.TimedeltaIndex(pd.to_timedelta(list(self.lead_hours), unit="h"), name="lead_time")


def damaged_ecmwf_copy(
    archive: Path, folder: Path, missing_stem: str, corrupt_stem: str, param: str, member: int
) -> Path:
    """A copy of an ECMWF-layout archive in `folder` without one file (GRIB2 and `.index`), and with the closing
    `7777` of one member's `param` message zeroed (found through the `.index`; member 0 is also a single forecast)."""
    damaged = folder / "damaged"
    shutil.copytree(archive, damaged)
    (damaged / (missing_stem + ".grib2")).unlink()
    (damaged / (missing_stem + ".index")).unlink()
    stem = damaged / corrupt_stem
    for line in stem.with_name(stem.name + ".index").read_text().splitlines():
        entry = json.loads(line)
        if entry["param"] == param and int(entry.get("number", 0)) == member:
            path = stem.with_name(stem.name + ".grib2")
            data = bytearray(path.read_bytes())
            end = entry["_offset"] + entry["_length"]
            assert data[end - 4 : end] == b"7777"
            data[end - 4 : end] = b"\0\0\0\0"
            path.write_bytes(bytes(data))
            return damaged
    raise AssertionError(f"no {param} for member {member} in {corrupt_stem}")
