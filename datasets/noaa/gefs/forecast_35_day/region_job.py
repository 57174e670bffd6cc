"""GEFS: one file per member, lead time and file type; 0.5 degree fields are regridded to the 0.25 degree grid."""

import itertools
from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.source_groups import group_variables
from datasets.common.sources.grib import GridSpec, message_at_start
from datasets.common.timestamps import timedelta, utc_now
from datasets.noaa.gefs.forecast_35_day.template_config import GefsDataVar, GefsFileType
from datasets.noaa.gefs.gefs_source import (
    GEFS_GRIDS,
    S3_BASE_URL,
    GefsSourceFileCoord,
    expected_field,
    field_on_grid,
    gefs_source_file_coord,
)
from datasets.noaa.noaa_region_job import NoaaRegionJob, NoaaSourceFileCoord, needs_message

# Leads past 384 h (days 17 to 35, 00 UTC runs only) are published after the first 16 days. Until about this long
# after the init time they are not requested; the next update reprocesses the latest init and fills them in.
EXTENDED_RANGE_AFTER = timedelta("384h")
EXTENDED_RANGE_DELAY = timedelta("6h30min")


def lead_time_available(init_time: pd.Timestamp, lead_time: pd.Timedelta, now: pd.Timestamp) -> bool:
    return lead_time <= EXTENDED_RANGE_AFTER or now >= init_time + EXTENDED_RANGE_DELAY


class NoaaGefsForecast35DayRegionJob(NoaaRegionJob[GefsSourceFileCoord]):
    default_source_url: ClassVar[str] = S3_BASE_URL
    source_file_coord_class: ClassVar[type[NoaaSourceFileCoord]] = GefsSourceFileCoord
    grids: ClassVar[Mapping[GefsFileType, GridSpec]] = GEFS_GRIDS
    grid: ClassVar[GridSpec] = GridSpec.global_latitude_longitude(0.25)
    # One variable of one init is 31 x 181 x 721 x 1440 float32 = 23 GB. Members and leads are whole in a shard, so
    # blocks split latitude and longitude: two variables in flight hold at most 6 GiB each, a column of two
    # shards (721 x 368), and every source message is decoded 4 times.
    block_dims: ClassVar[tuple[str, ...]] = ("latitude", "longitude")
    memory_budget_bytes: ClassVar[int | None] = 12 * 2**30
    # Variables downloaded together: bounds the local disk a job needs (all its files are fetched first).
    max_vars_per_group: ClassVar[int] = 3

    @classmethod
    def source_groups(cls, data_vars: Sequence[GefsDataVar]) -> Sequence[Sequence[GefsDataVar]]:
        """Variables read from the same file types, at most max_vars_per_group at a time."""
        return group_variables(
            data_vars,
            lambda v: (v.internal_attrs.fine_file_type, v.internal_attrs.coarse_file_type),
            cls.max_vars_per_group,
        )

    def generate_source_file_coords(
        self, processing_region_ds: xr.Dataset, data_var_group: Sequence[GefsDataVar]
    ) -> Sequence[GefsSourceFileCoord]:
        assert self.source_url is not None, "source_url must be resolved (DynamicalDataset.source_url) for a job"
        now = utc_now()
        coords = []
        for init_time, member, lead_time in itertools.product(
            pd.DatetimeIndex(processing_region_ds["init_time"].values),
            processing_region_ds["ensemble_member"].values,
            pd.TimedeltaIndex(processing_region_ds["lead_time"].values),
        ):
            if not lead_time_available(init_time, lead_time, now):
                continue
            coords.append(
                gefs_source_file_coord(
                    GefsSourceFileCoord, self.source_url, init_time, lead_time, int(member), data_var_group
                )
            )
        return coords

    def read_data(self, coord: GefsSourceFileCoord, data_var: GefsDataVar) -> np.ndarray:
        """The field on the dataset's grid: 0.25 degree values as they are, 0.5 degree ones regridded."""
        latitudes = self.template_ds["latitude"].values
        longitudes = self.template_ds["longitude"].values
        if not needs_message(data_var.internal_attrs, coord.lead_time):
            return np.full((len(latitudes), len(longitudes)), np.nan, dtype=np.float32)
        field = expected_field(data_var, coord.lead_time, coord.ensemble_member)
        message = message_at_start(coord.field_bytes(coord.fields.index(field)))
        return field_on_grid(message, self.grids[coord.file_type], field, latitudes, longitudes)
