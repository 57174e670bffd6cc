"""noaa-gfs-analysis on the coarse GFS test grid, and the values it must store for the synthetic GFS archive
(generating function + documented transforms), computed independently of the job."""

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.sources.grib import GridSpec
from datasets.common.sources.synthetic_archive import expected_value
from datasets.common.timestamps import timedelta, timestamp
from datasets.common.transforms.rounding import round_for_storage
from datasets.noaa.gfs.analysis.dynamical_dataset import noaa_gfs_analysis
from datasets.noaa.gfs.analysis.region_job import NoaaGfsAnalysisRegionJob
from datasets.noaa.gfs.analysis.template_config import GfsAnalysisDataVar, NoaaGfsAnalysisTemplateConfig
from datasets.noaa.gfs.forecast.template_config import GFS_DATA_VARS
from tests.support.gfs_archive import TEST_GRID, GfsTestGrid, grib_variable, hours, write_test_archive
from tests.support.region_jobs import Availability, small_grid_dataset, with_chunks

# Twelve hours per shard, so a day spans shards and an update lands inside one.
SHARD_HOURS = 12
ANALYSIS_LEADS = [timedelta(f"{h}h") for h in range(7)]
HOUR = timedelta("1h")


class SmallGridAnalysisTemplateConfig(GfsTestGrid, NoaaGfsAnalysisTemplateConfig):
    """The real template on TEST_GRID with short shards, rendered to a folder of the test's choosing."""

    @property
    def data_vars(self) -> Sequence[GfsAnalysisDataVar]:
        return with_chunks(super().data_vars, (SHARD_HOURS, 10, 18), (SHARD_HOURS, 20, 36))


class SmallGridAnalysisRegionJob(NoaaGfsAnalysisRegionJob):
    grid: ClassVar[GridSpec] = TEST_GRID.grid_spec()


def small_grid_analysis_dataset(template_dir: Path, source_url: str) -> DynamicalDataset:
    config = SmallGridAnalysisTemplateConfig(template_dir=template_dir)
    return small_grid_dataset(noaa_gfs_analysis(), config, SmallGridAnalysisRegionJob, source_url)


def write_analysis_archive(root: Path, inits: Sequence[pd.Timestamp]) -> list[Path]:
    """The GFS files an analysis reads: leads 0-6 h of each init."""
    return write_test_archive(root, inits, ANALYSIS_LEADS)


def source_of(time: pd.Timestamp, windowed: bool) -> tuple[pd.Timestamp, pd.Timedelta]:
    init = timestamp((time - HOUR if windowed else time).floor("6h"))
    return init, time - init


def expected_analysis_values(
    data_var: GfsAnalysisDataVar, times: Sequence[pd.Timestamp], available: Availability, dataset_start: pd.Timestamp
) -> np.ndarray:
    """(time, latitude, longitude) as the dataset must store them, NaN where no value can exist."""
    attrs = data_var.internal_attrs
    variable = grib_variable(next(v for v in GFS_DATA_VARS if v.name == data_var.name))
    latitude, longitude = np.meshgrid(TEST_GRID.latitudes, TEST_GRID.longitudes, indexing="ij")
    out = np.full((len(times), TEST_GRID.nj, TEST_GRID.ni), np.nan, dtype=np.float32)

    def source_value(init: pd.Timestamp, lead: pd.Timedelta) -> np.ndarray:
        return expected_value(variable, init, lead, latitude, longitude)

    for i, time in enumerate(times):
        init, lead = source_of(time, attrs.window_kind is not None)
        if not available(init, lead):
            continue
        values = source_value(init, lead)
        if attrs.deaccumulate_to_rate or attrs.deaverage:
            first_in_window = lead == HOUR
            if not first_in_window and (time == dataset_start or not available(init, lead - HOUR)):
                continue
            n = hours(lead)
            if attrs.deaccumulate_to_rate:
                amount = values if first_in_window else values - source_value(init, lead - HOUR)
                values = amount / 3600
            elif not first_in_window:
                values = n * values - (n - 1) * source_value(init, lead - HOUR)
        values = values.astype(np.float32)
        if attrs.unit_conversion == "kelvin_to_celsius":
            values -= np.float32(273.15)
        out[i] = np.roll(values, TEST_GRID.ni // 2, axis=1)
    return round_for_storage(out, attrs)
