"""The GFS analysis: an hourly time series read from the first hours of each 6-hourly GFS run.

For a time t, instant variables come from the run initialized at floor(t, 6 h) (lead 0-5 h) and windowed
variables from the run initialized at floor(t - 1 h, 6 h) (lead 1-6 h, windows starting at the init).
The two kinds read different files at 00/06/12/18, so they are separate source groups (and jobs).
"""

from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np
import pandas as pd
import xarray as xr
import zarr
from zarr.abc.store import Store

from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.gfs.forecast.region_job import GfsSourceFileCoord, NoaaGfsForecastRegionJob
from datasets.noaa.noaa_region_job import NoaaDataVar, NoaaSourceFileCoord

RUN_INTERVAL = timedelta("6h")
HOUR = timedelta("1h")
# An update re-checks this many published positions and fetches again from the first one missing values.
RECHECK_POSITIONS = 6


class GfsAnalysisSourceFileCoord(GfsSourceFileCoord):
    def out_loc(self) -> Mapping[str, pd.Timestamp]:
        return {"time": self.init_time + self.lead_time}


def source_init_time(time: pd.Timestamp, windowed: bool) -> pd.Timestamp:
    return timestamp((time - HOUR if windowed else time).floor(RUN_INTERVAL))


def needs_previous_step(data_var: NoaaDataVar) -> bool:
    return data_var.internal_attrs.deaccumulate_to_rate or data_var.internal_attrs.deaverage


class NoaaGfsAnalysisRegionJob(NoaaGfsForecastRegionJob):
    source_file_coord_class: ClassVar[type[NoaaSourceFileCoord]] = GfsAnalysisSourceFileCoord
    # Windows restart with every 6-hourly run: along time, at multiples of 6 h.
    step_dim: ClassVar[str] = "time"

    @classmethod
    def source_groups(cls, data_vars: Sequence[NoaaDataVar]) -> Sequence[Sequence[NoaaDataVar]]:
        instant = [v for v in data_vars if v.internal_attrs.window_kind is None]
        windowed = [v for v in data_vars if v.internal_attrs.window_kind is not None]
        return [group for group in (instant, windowed) if group]

    def get_processing_region(self) -> slice:
        """One step before the region, so a deaccumulation has its predecessor."""
        return slice(max(0, self.region.start - 1), self.region.stop)

    def region_to_write(self, store: Store) -> slice:
        """For an update: keep the published positions of the shard, except any of the last few that lack values."""
        if self.published_extent <= self.region.start:
            return self.region
        recheck = slice(max(self.region.start, self.published_extent - RECHECK_POSITIONS), self.published_extent)
        complete = np.logical_and.reduce([positions_with_values(store, v.name, recheck) for v in self.data_vars])
        missing = np.flatnonzero(~complete)
        start = recheck.start + int(missing[0]) if missing.size else recheck.stop
        return slice(min(start, self.region.stop), self.region.stop)

    def generate_source_file_coords(
        self, processing_region_ds: xr.Dataset, data_var_group: Sequence[NoaaDataVar]
    ) -> Sequence[GfsSourceFileCoord]:
        """One file per time; the padding step before the region only for variables that need it."""
        windowed = data_var_group[0].internal_attrs.window_kind is not None
        times = pd.DatetimeIndex(processing_region_ds["time"].values)
        padded = self.get_processing_region().start < self.region.start
        coords = []
        for i, time in enumerate(times):
            wanted = data_var_group
            if padded and i == 0:
                wanted = [v for v in data_var_group if needs_previous_step(v)]
                if not wanted or time.floor(RUN_INTERVAL) == time:  # after a reset the predecessor is unused
                    continue
            init_time = source_init_time(timestamp(time), windowed)
            coords.append(self.source_file_coord(init_time, timestamp(time) - init_time, wanted))
        return coords

    def read_data(self, coord: GfsSourceFileCoord, data_var: NoaaDataVar) -> np.ndarray:
        if data_var.internal_attrs.expected_field(coord.lead_time) not in coord.fields:
            return np.full((self.grid.nj, self.grid.ni), np.nan, dtype=np.float32)
        return super().read_data(coord, data_var)


def positions_with_values(store: Store, name: str, positions: slice) -> np.ndarray:
    """Per append-dim position: whether the first spatial chunk of the stored variable holds any value."""
    array = zarr.open_array(store=store, path=name, mode="r", zarr_format=3)
    sample = np.asarray(array[(positions, *(slice(0, size) for size in array.chunks[1:]))])
    return np.isfinite(sample).any(axis=tuple(range(1, sample.ndim)))
