"""A NOAA analysis: an hourly time series read from the first hours of successive forecast runs.

For a time t, instant variables come from the run initialized at floor(t, run interval) (lead 0 at an init
time) and windowed variables from the run initialized at floor(t - 1 h, run interval), whose windows start at
that init. The two kinds read different files at init times, so they are separate source groups (and jobs).
Combine with a forecast region job for the source's file layout and grid: `class X(NoaaAnalysisRegionJob,
ForecastRegionJob)`.
"""

from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np
import pandas as pd
import xarray as xr
import zarr
from zarr.abc.store import Store

from datasets.common.results import VariableResult
from datasets.common.timestamps import timedelta, timestamp
from datasets.common.transforms.chain import apply_transforms
from datasets.noaa.noaa_region_job import NoaaDataVar, NoaaRegionJob, NoaaSourceFileCoord

HOUR = timedelta("1h")
# An update re-checks this many published positions and fetches again from the first one missing values.
RECHECK_POSITIONS = 6


class AnalysisTimeMixin(NoaaSourceFileCoord):
    """Inherit first, before a forecast's source file coord: the file's values sit at its valid time."""

    def out_loc(self) -> Mapping[str, pd.Timestamp]:
        return {"time": self.init_time + self.lead_time}


def needs_previous_step(data_var: NoaaDataVar) -> bool:
    return data_var.internal_attrs.deaccumulate_to_rate or data_var.internal_attrs.deaverage


def is_interpolated(data_var: NoaaDataVar) -> bool:
    """Whether a time no source has by design is interpolated: not for a categorical variable."""
    return data_var.attrs.flag_values is None


class NoaaAnalysisRegionJob[SFC: NoaaSourceFileCoord](NoaaRegionJob[SFC]):
    # How often the source starts a run (and its windows restart).
    run_interval: ClassVar[pd.Timedelta]
    step_dim: ClassVar[str] = "time"
    # Steps of the processing region before and after the region: the neighbours a deaccumulation or a time
    # interpolation at the region's edges may need.
    padding: ClassVar[tuple[int, int]] = (1, 0)

    @classmethod
    def source_init_time(cls, time: pd.Timestamp, windowed: bool) -> pd.Timestamp:
        return timestamp((time - HOUR if windowed else time).floor(cls.run_interval))

    def source_available(self, init_time: pd.Timestamp, data_var_group: Sequence[NoaaDataVar]) -> bool:
        """Whether the archive has the group's file of this init (a source with gaps says no)."""
        return True

    @classmethod
    def source_groups(cls, data_vars: Sequence[NoaaDataVar]) -> Sequence[Sequence[NoaaDataVar]]:
        instant = [v for v in data_vars if v.internal_attrs.window_kind is None]
        windowed = [v for v in data_vars if v.internal_attrs.window_kind is not None]
        return [group for group in (instant, windowed) if group]

    def times_without_source(self, times: pd.DatetimeIndex, windowed: bool) -> np.ndarray:
        """Per time, whether no source has it by design (filled by interpolation in time from its neighbours)."""
        return np.zeros(len(times), dtype=bool)

    def get_processing_region(self) -> slice:
        """Padding steps around the region, so a deaccumulation or an interpolation has its neighbours."""
        before, after = self.padding
        return slice(max(0, self.region.start - before), self.region.stop + after)

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
    ) -> Sequence[SFC]:
        """One file per time of the region; the padding steps only for the variables that need them."""
        windowed = data_var_group[0].internal_attrs.window_kind is not None
        times = pd.DatetimeIndex(processing_region_ds["time"].values)
        interpolated = self.times_without_source(times, windowed)
        first = self.region.start - self.get_processing_region().start
        region = range(first, min(first + self.region.stop - self.region.start, len(times)))
        resets = np.asarray(times.floor(self.run_interval) == times)
        needed = {
            v.name: needed_positions(region, interpolated & is_interpolated(v), resets, needs_previous_step(v))
            for v in data_var_group
        }
        coords = []
        for i, time in enumerate(times):
            wanted = [v for v in data_var_group if i in needed[v.name]]
            if not wanted or interpolated[i]:
                continue
            init_time = self.source_init_time(timestamp(time), windowed)
            if not self.source_available(init_time, wanted):
                continue
            coords.append(self.source_file_coord(init_time, timestamp(time) - init_time, wanted))
        return coords

    def apply_data_transformations(self, data_array: xr.DataArray, data_var: NoaaDataVar) -> Mapping[str, int]:
        """The variable's transform chain along time; times no source has by design are filled from their
        neighbours after it, except for a categorical variable (a value between two flags is no flag)."""
        times = pd.DatetimeIndex(data_array["time"].values)
        interpolated = self.times_without_source(times, data_var.internal_attrs.window_kind is not None)
        return apply_transforms(
            data_array, data_var.internal_attrs, self.step_dim, interpolated, is_interpolated(data_var)
        )

    @classmethod
    def update_template_with_results(
        cls, template_ds: xr.Dataset, results: Mapping[str, VariableResult], append_dim: str
    ) -> xr.Dataset:
        """Trim to the last time the instant variables were written: a time's windowed values come from the run
        before, which is out before the time's own analysis, and a time is published once its analysis is."""
        instant = {name: r for name, r in results.items() if template_ds[name].attrs.get("step_type") == "instant"}
        return super().update_template_with_results(template_ds, instant or results, append_dim)

    def read_data(self, coord: SFC, data_var: NoaaDataVar) -> np.ndarray:
        if data_var.internal_attrs.expected_field(coord.lead_time) not in coord.fields:
            return np.full((self.grid.nj, self.grid.ni), np.nan, dtype=np.float32)
        return super().read_data(coord, data_var)


def positions_with_values(store: Store, name: str, positions: slice) -> np.ndarray:
    """Per append-dim position: whether the first spatial chunk of the stored variable holds any value."""
    array = zarr.open_array(store=store, path=name, mode="r", zarr_format=3)
    sample = np.asarray(array[(positions, *(slice(0, size) for size in array.chunks[1:]))])
    return np.isfinite(sample).any(axis=tuple(range(1, sample.ndim)))


def needed_positions(region: range, interpolated: np.ndarray, resets: np.ndarray, needs_previous: bool) -> set[int]:
    """The positions whose values the region's values depend on: the region, the neighbours of an interpolated
    position, and the predecessor a deaccumulation subtracts (none after a reset), among positions not interpolated."""
    known = np.flatnonzero(~interpolated)
    needed = set(region)
    todo = list(region)
    while todo:
        i = todo.pop()
        after = int(np.searchsorted(known, i))  # the first known position at or after i
        neighbours = []
        if interpolated[i]:
            neighbours = [known[after - 1]] if after else []
            neighbours += [known[after]] if after < len(known) else []
        elif needs_previous and after and not resets[known[after - 1]]:
            neighbours = [known[after - 1]]
        for j in neighbours:
            if int(j) not in needed:
                needed.add(int(j))
                todo.append(int(j))
    return needed
