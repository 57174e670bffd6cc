"""A synthetic IFS ENS archive for the ecmwf-ifs-ens-forecast-15-day-0-25-degree variables on a coarse grid, and the
values the dataset must store for it, computed from the generating function independently of the job."""

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from datasets.common.sources.grib import GridSpec
from datasets.common.timestamps import timedelta, timestamp
from datasets.common.transforms.rounding import round_for_storage
from datasets.common.transforms.units import KELVIN_AT_ZERO_CELSIUS
from datasets.ecmwf.ifs_ens.forecast_15_day_0_25_degree.region_job import (
    EcmwfIfsEnsForecast15Day025DegreeRegionJob,
)
from datasets.ecmwf.ifs_ens.forecast_15_day_0_25_degree.template_config import (
    EcmwfDataVar,
    EcmwfIfsEnsForecast15Day025DegreeTemplateConfig,
)
from tests.support.ecmwf_archive import EcmwfField, ecmwf_grid, field_values, write_ecmwf_file

TEST_GRID = ecmwf_grid(10.0)
CONTROL_IN_OPER_FROM = timestamp("2026-05-12T06:00")
CHUNKS = (1, 6, 51, 5, 6)
SHARDS = (1, 6, 51, 10, 12)
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
UNIT_SCALES = {"fraction_to_percent": np.float32(100), "metres_of_water_to_kg_m2": np.float32(1000)}
# A field no variable reads, so selection has to skip it.
UNREAD_FIELD = EcmwfField(param="q", levtype="pl", levelist="700", offset=0.01, amplitude=0.005, fraction_bits=10)


def ecmwf_field(data_var: EcmwfDataVar, lead: pd.Timedelta) -> EcmwfField:
    attrs = data_var.internal_attrs
    offset, amplitude = RANGES[data_var.attrs.units]
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


def write_ifs_ens_archive(
    root: Path, data_vars: Sequence[EcmwfDataVar], inits: Sequence[pd.Timestamp], leads: Sequence[pd.Timedelta]
) -> list[Path]:
    """One file per init and lead with the fields the source publishes for it, plus one no variable reads;
    from IFS cycle 50r1 on, the control is a separate `oper` file."""
    paths = []
    for init, lead in itertools.product(inits, leads):
        fields = [UNREAD_FIELD, *(ecmwf_field(v, lead) for v in data_vars if v.internal_attrs.available(init, lead))]
        if init < CONTROL_IN_OPER_FROM:
            paths.append(write_ecmwf_file(root, init, lead, fields, TEST_GRID))
        else:
            paths.append(write_ecmwf_file(root, init, lead, fields, TEST_GRID, members=range(1, 51)))
            paths.append(write_ecmwf_file(root, init, lead, fields, TEST_GRID, members=[None]))
    return paths


class SmallGridTemplateConfig(EcmwfIfsEnsForecast15Day025DegreeTemplateConfig):
    """The real template on TEST_GRID with a few of its lead times and small shards, rendered to a test folder."""

    template_dir: Path
    lead_hours: tuple[int, ...]

    def template_path(self) -> Path:
        return self.template_dir / "latest.zarr"

    def latitudes(self) -> np.ndarray:
        return TEST_GRID.latitudes

    def longitudes(self) -> np.ndarray:
        return TEST_GRID.longitudes

    def lead_times(self) -> pd.TimedeltaIndex:
        return pd.TimedeltaIndex(pd.to_timedelta(list(self.lead_hours), unit="h"), name="lead_time")

    @property
    def data_vars(self) -> Sequence[EcmwfDataVar]:
        encoding = {"chunks": CHUNKS, "shards": SHARDS}
        return tuple(
            v.model_copy(update={"encoding": v.encoding.model_copy(update=encoding)}) for v in super().data_vars
        )


class SmallGridRegionJob(EcmwfIfsEnsForecast15Day025DegreeRegionJob):
    grid: ClassVar[GridSpec] = TEST_GRID.grid_spec()
    # Six of the small template's shards: two variables in flight, each in two blocks (rows of three shards).
    memory_budget_bytes: ClassVar[int | None] = 6 * int(np.prod(SHARDS)) * 4
    # Every variable of a kind together: fewer downloads in tests.
    max_vars_per_group: ClassVar[int] = 19


def source_values(data_var: EcmwfDataVar, init: pd.Timestamp, lead: pd.Timedelta, member: int) -> np.ndarray:
    """The message the job reads, in the stored units, before deaccumulation and rounding."""
    attrs = data_var.internal_attrs
    values = field_values(ecmwf_field(data_var, lead), init, lead, member, TEST_GRID).astype(np.float32)
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
) -> np.ndarray:
    """(lead, member, latitude, longitude) as the dataset must store them, NaN where no value can exist.

    Running totals become rates along the stored lead times: (A - A_previous) / step, with A_previous = 0 at lead 0.
    """
    attrs = data_var.internal_attrs
    out = np.full((len(leads), len(members), TEST_GRID.nj, TEST_GRID.ni), np.nan, dtype=np.float32)

    def message(lead: pd.Timedelta, member: int) -> np.ndarray | None:
        if not available(init, lead, member) or not attrs.available(init, lead):
            return None
        return source_values(data_var, init, lead, member)

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
