"""The GEFS analysis region job: one variable per source group (the reforecast has one file per variable), each time
read from the era's archive layout (see template_config.py for the eras); pre-v12 times between 6-hourly leads are
interpolated in time."""

from collections.abc import Mapping, Sequence
from typing import ClassVar

import eccodes
import numpy as np
import pandas as pd

from datasets.common.errors import SourceReadError
from datasets.common.sources.grib import ExpectedField, GridSpec, message_at_start
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.gefs.analysis.template_config import OPERATIONAL_START, PRE_V12_STEP, REFORECAST_END
from datasets.noaa.gefs.forecast_35_day.template_config import GefsDataVar, GefsFileType
from datasets.noaa.gefs.gefs_source import GEFS_GRIDS, GefsSourceFileCoord, field_on_grid, gefs_source_file_coord
from datasets.noaa.noaa_analysis_region_job import HOUR, AnalysisTimeMixin, NoaaAnalysisRegionJob
from datasets.noaa.noaa_region_job import NoaaSourceFileCoord

# Path-style S3 addresses, so one base URL serves the operational and the reforecast bucket.
S3_BASE_URL = "https://s3.amazonaws.com"
OPERATIONAL_BUCKET = "noaa-gefs-pds"
REFORECAST_BUCKET = "noaa-gefs-retrospective"
REFORECAST_START = timestamp("2000-01-01T00:00")
REFORECAST_RUN_INTERVAL = timedelta("24h")
# The level part of a reforecast file name, and elements the reforecast names differently.
REFORECAST_LEVELS = {
    "surface": "sfc",
    "2 m above ground": "2m",
    "10 m above ground": "hgt",
    "100 m above ground": "hgt",
    "mean sea level": "msl",
    "entire atmosphere": "eatm",
    "entire atmosphere (considered as a single layer)": "eatm",
    "cloud ceiling": "ceiling",
    "500 mb": "pres_abv700mb",
}
REFORECAST_ELEMENTS = {"PRMSL": "PRES"}
# Variables the reforecast does not have: no values before OPERATIONAL_START.
REFORECAST_ABSENT = frozenset(
    {
        "relative_humidity_2m",
        "percent_frozen_precipitation_surface",
        "categorical_snow_surface",
        "categorical_ice_pellets_surface",
        "categorical_freezing_rain_surface",
        "categorical_rain_surface",
        "temperature_80m",
        "pressure_80m",
        "wind_u_80m",
        "wind_v_80m",
    }
)


class GefsAnalysisSourceFileCoord(AnalysisTimeMixin, GefsSourceFileCoord):
    def relative_path(self) -> str:
        return f"{OPERATIONAL_BUCKET}/{super().relative_path()}"


class GefsPreV12SourceFileCoord(AnalysisTimeMixin, GefsSourceFileCoord):
    """A pre-v12 file (1.0 degree, 6-hourly leads): `a` or `b` as the variable's 0.5 degree file is today."""

    def relative_path(self) -> str:
        init, kind = self.init_time, self.file_type
        hours = int(self.lead_time / HOUR)
        return (
            f"{OPERATIONAL_BUCKET}/gefs.{init:%Y%m%d}/{init:%H}/pgrb2{kind}/gec00.t{init:%H}z.pgrb2{kind}f{hours:02d}"
        )


class GefsReforecastSourceFileCoord(AnalysisTimeMixin, NoaaSourceFileCoord):
    """One variable's file of a GEFSv12 reforecast run (control member, days 1-10): all its leads in one file."""

    file_variable: str  # e.g. tmp_2m

    def relative_path(self) -> str:
        run = f"{self.init_time:%Y%m%d%H}"
        return f"{REFORECAST_BUCKET}/GEFSv12/reforecast/{self.init_time:%Y}/{run}/c00/Days:1-10/{self.file_variable}_{run}_c00.grib2"


def reforecast_field(data_var: GefsDataVar, lead_time: pd.Timedelta) -> ExpectedField:
    field = data_var.internal_attrs.expected_field(lead_time)
    return field.model_copy(update={"element": REFORECAST_ELEMENTS.get(field.element or "", field.element)})


def reforecast_file_variable(data_var: GefsDataVar) -> str:
    attrs = data_var.internal_attrs
    element = REFORECAST_ELEMENTS.get(attrs.grib_element, attrs.grib_element)
    return f"{element.lower()}_{REFORECAST_LEVELS[attrs.grib_index_level]}"


class NoaaGefsAnalysisRegionJob(NoaaAnalysisRegionJob[NoaaSourceFileCoord]):
    default_source_url: ClassVar[str] = S3_BASE_URL
    source_file_coord_class: ClassVar[type[NoaaSourceFileCoord]] = GefsAnalysisSourceFileCoord
    run_interval: ClassVar[pd.Timedelta] = timedelta("6h")
    # The eras' switch dates (see template_config.py).
    reforecast_end: ClassVar[pd.Timestamp] = REFORECAST_END
    operational_start: ClassVar[pd.Timestamp] = OPERATIONAL_START
    grids: ClassVar[Mapping[GefsFileType, GridSpec]] = GEFS_GRIDS
    grid: ClassVar[GridSpec] = GridSpec.global_latitude_longitude(0.25)
    pre_v12_grid: ClassVar[GridSpec] = GridSpec.global_latitude_longitude(1.0)
    # An interpolated pre-v12 time at a region's edge needs the 6-hourly neighbours, whose rates need theirs.
    padding: ClassVar[tuple[int, int]] = (3, 1)
    # A region of one variable is 2881 x 721 x 1440 float32 (12 GB): process it in blocks of whole shards.
    block_dims: ClassVar[tuple[str, ...]] = ("latitude", "longitude")
    memory_budget_bytes: ClassVar[int | None] = 12 * 2**30

    @classmethod
    def source_groups(cls, data_vars: Sequence[GefsDataVar]) -> Sequence[Sequence[GefsDataVar]]:
        return [[v] for v in data_vars]

    @classmethod
    def source_init_time(cls, time: pd.Timestamp, windowed: bool) -> pd.Timestamp:
        """Reforecast runs are daily and have no lead 0: a time up to 2020-01-01T00 reads leads 3-24 h of the
        00 UTC run before it."""
        if time - HOUR < cls.reforecast_end:
            return timestamp((time - HOUR).floor(REFORECAST_RUN_INTERVAL))
        return super().source_init_time(time, windowed)

    def is_pre_v12(self, init_time: pd.Timestamp) -> bool:
        return self.reforecast_end <= init_time < self.operational_start

    def times_without_source(self, times: pd.DatetimeIndex, windowed: bool) -> np.ndarray:
        """Pre-v12 files have 6-hourly leads: the times between them (lead 3 h) are interpolated."""

        def between_leads(time: pd.Timestamp) -> bool:
            init = self.source_init_time(time, windowed)
            return self.is_pre_v12(init) and (time - init) % PRE_V12_STEP != pd.Timedelta(0)

        return np.array([between_leads(timestamp(t)) for t in times], dtype=bool)

    def source_available(self, init_time: pd.Timestamp, data_var_group: Sequence[GefsDataVar]) -> bool:
        if init_time >= self.reforecast_end:  # a variable a pre-v12 file lacks is listed as not found
            return True
        reforecast = REFORECAST_START <= init_time < self.reforecast_end
        return reforecast and not any(v.name in REFORECAST_ABSENT for v in data_var_group)

    def source_file_coord(
        self, init_time: pd.Timestamp, lead_time: pd.Timedelta, data_var_group: Sequence[GefsDataVar]
    ) -> NoaaSourceFileCoord:
        assert self.source_url is not None, "source_url must be resolved (DynamicalDataset.source_url) for a job"
        if init_time >= self.operational_start:
            return gefs_source_file_coord(
                GefsAnalysisSourceFileCoord, self.source_url, init_time, lead_time, 0, data_var_group
            )
        if init_time >= self.reforecast_end:
            (file_type,) = {v.internal_attrs.coarse_file_type for v in data_var_group}
            return gefs_source_file_coord(
                GefsPreV12SourceFileCoord, self.source_url, init_time, lead_time, 0, data_var_group, file_type
            )
        (data_var,) = data_var_group
        return GefsReforecastSourceFileCoord(
            base_url=self.source_url,
            init_time=init_time,
            lead_time=lead_time,
            fields=(reforecast_field(data_var, lead_time),),
            file_variable=reforecast_file_variable(data_var),
        )

    def read_data(self, coord: NoaaSourceFileCoord, data_var: GefsDataVar) -> np.ndarray:
        """The variable's field on the dataset's grid (a source group is one variable, so one field a file)."""
        (field,) = coord.fields
        message = message_at_start(coord.field_bytes(0))
        if isinstance(coord, GefsPreV12SourceFileCoord):
            grid = self.pre_v12_grid
        elif isinstance(coord, GefsSourceFileCoord):
            grid = self.grids[coord.file_type]
        else:
            grid = self.source_grid(message)
        return field_on_grid(
            message, grid, field, self.template_ds["latitude"].values, self.template_ds["longitude"].values
        )

    def source_grid(self, message: bytes) -> GridSpec:
        """Reforecast files are 0.25 or 0.5 degree, depending on the variable: the one the message is on."""
        try:
            source = GridSpec.from_message(message)
        except eccodes.CodesInternalError as e:
            raise SourceReadError(f"eccodes cannot open the message: {e}") from None
        for grid in self.grids.values():
            if not grid.mismatches(source):
                return grid
        raise SourceReadError(f"unexpected grid: {'; '.join(self.grid.mismatches(source))}")
