"""noaa-hrrr-analysis on the coarse HRRR test grid, and the values it must store for a synthetic archive of hourly
HRRR runs (generating function + documented transforms), computed independently of the job."""

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.lambert_grid import LambertConformalGrid
from datasets.common.sources.grib import GridSpec
from datasets.common.sources.synthetic_archive import expected_value
from datasets.common.timestamps import timedelta
from datasets.common.transforms.rounding import round_for_storage
from datasets.noaa.hrrr.analysis.dynamical_dataset import noaa_hrrr_analysis
from datasets.noaa.hrrr.analysis.region_job import NoaaHrrrAnalysisRegionJob
from datasets.noaa.hrrr.analysis.template_config import NoaaHrrrAnalysisTemplateConfig
from datasets.noaa.hrrr.forecast_48_hour.template_config import HRRR_DATA_VARS
from datasets.noaa.noaa_analysis_template import NoaaAnalysisDataVar
from tests.support.hrrr_archive import SMALL_GRID, TEST_GRID, grib_variable, write_hrrr_archive
from tests.support.region_jobs import Availability, TemplateInFolder, small_grid_dataset, with_chunks

SHARD_HOURS = 12
HOUR = timedelta("1h")


class SmallGridHrrrAnalysisTemplateConfig(TemplateInFolder, NoaaHrrrAnalysisTemplateConfig):
    grid: LambertConformalGrid = SMALL_GRID

    @property
    def data_vars(self) -> Sequence[NoaaAnalysisDataVar]:
        return with_chunks(super().data_vars, (SHARD_HOURS, 5, 6), (SHARD_HOURS, 10, 12))


class SmallGridHrrrAnalysisRegionJob(NoaaHrrrAnalysisRegionJob):
    grid: ClassVar[GridSpec] = SMALL_GRID.grid_spec()


def small_grid_hrrr_analysis_dataset(template_dir: Path, source_url: str) -> DynamicalDataset:
    config = SmallGridHrrrAnalysisTemplateConfig(template_dir=template_dir)
    return small_grid_dataset(noaa_hrrr_analysis(), config, SmallGridHrrrAnalysisRegionJob, source_url)


def write_hrrr_analysis_archive(root: Path, inits: Sequence[pd.Timestamp]) -> list[Path]:
    """The HRRR files an analysis reads: leads 0 and 1 h of each hourly init."""
    return write_hrrr_archive(root, inits, [timedelta("0h"), HOUR])


def source_of(time: pd.Timestamp, accumulated: bool) -> tuple[pd.Timestamp, pd.Timedelta]:
    return (time - HOUR, HOUR) if accumulated else (time, timedelta("0h"))


def expected_hrrr_analysis_values(
    data_var: NoaaAnalysisDataVar, times: Sequence[pd.Timestamp], available: Availability, dataset_start: pd.Timestamp
) -> np.ndarray:
    """(time, y, x) as the dataset must store them (rows north to south), NaN where no value can exist."""
    attrs = data_var.internal_attrs
    variable = grib_variable(next(v for v in HRRR_DATA_VARS if v.name == data_var.name))
    latitude, longitude = TEST_GRID.mesh()
    out = np.full((len(times), TEST_GRID.nj, TEST_GRID.ni), np.nan, dtype=np.float32)
    for i, time in enumerate(times):
        init, lead = source_of(time, attrs.deaccumulate_to_rate)
        if not available(init, lead) or (attrs.deaccumulate_to_rate and time == dataset_start):
            continue
        values = expected_value(variable, init, lead, latitude, longitude)
        if attrs.deaccumulate_to_rate:
            values = values / 3600  # each run's 0-1 h accumulation is the hour before the time
        values = values.astype(np.float32)
        if attrs.unit_conversion == "kelvin_to_celsius":
            values -= np.float32(273.15)
        out[i] = values
    return round_for_storage(out, attrs)
