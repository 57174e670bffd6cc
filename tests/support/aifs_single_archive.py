"""A synthetic AIFS Single open-data archive for ecmwf-aifs-single-forecast on the coarse ECMWF test grid: one `oper`
file per init and lead (the single forecast) under the model path of the init's period, and the dataset on that
grid. The values the dataset must store come from `ecmwf_archive.expected_stored_values` (member 0)."""

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.sources.grib import GridSpec
from datasets.common.timestamps import timedelta, timestamp
from datasets.ecmwf.aifs_single.forecast import ecmwf_aifs_single_forecast
from datasets.ecmwf.aifs_single.forecast.region_job import EcmwfAifsSingleForecastRegionJob, aifs_model_path
from datasets.ecmwf.aifs_single.forecast.template_config import EcmwfAifsSingleForecastTemplateConfig
from datasets.ecmwf.ecmwf_variables import EcmwfDataVar
from tests.support.ecmwf_archive import (
    TEST_GRID,
    UNREAD_FIELD,
    SmallGridEcmwfTemplate,
    ecmwf_field,
    ecmwf_relative_stem,
    expected_stored_values,
    write_ecmwf_file,
)
from tests.support.region_jobs import Availability, small_grid_dataset, with_chunks

# The first init of the aifs-single files, which publish total precipitation in kg m-2 instead of metres.
AIFS_SINGLE_FROM = timestamp("2025-02-24T06:00")


def aifs_model(init: pd.Timestamp) -> str:
    """The archive's `{model}/{resol}` folders of `init` (test_file_urls_follow_each_period_of_the_archive_layout
    spells out each period)."""
    return aifs_model_path(init).removesuffix("/oper")


def metres_before_aifs_single(name: str, init: pd.Timestamp) -> float | None:
    """The aifs/ files publish total precipitation in metres of water, later ones in kg m-2."""
    return 1000.0 if name == "precipitation_surface" and init < AIFS_SINGLE_FROM else None


def aifs_relative_stem(init: pd.Timestamp, lead: pd.Timedelta) -> str:
    return ecmwf_relative_stem(init, lead, "oper", aifs_model(init))


def write_aifs_single_archive(
    root: Path, data_vars: Sequence[EcmwfDataVar], inits: Sequence[pd.Timestamp], leads: Sequence[pd.Timedelta]
) -> list[Path]:
    """One file per init and lead with the fields the source publishes for it, plus one no variable reads."""
    paths = []
    for init, lead in itertools.product(inits, leads):
        fields = [UNREAD_FIELD, *(ecmwf_field(v, lead) for v in data_vars if v.internal_attrs.available(init, lead))]
        paths.append(write_ecmwf_file(root, init, lead, fields, TEST_GRID, members=[None], model=aifs_model(init)))
    return paths


class SmallGridAifsSingleTemplateConfig(SmallGridEcmwfTemplate, EcmwfAifsSingleForecastTemplateConfig):
    @property
    def data_vars(self) -> Sequence[EcmwfDataVar]:
        lead_count = len(self.lead_hours)
        return with_chunks(super().data_vars, (1, lead_count, 5, 6), (1, lead_count, 10, 12))


class SmallGridAifsSingleRegionJob(EcmwfAifsSingleForecastRegionJob):
    grid: ClassVar[GridSpec] = TEST_GRID.grid_spec()


def small_grid_aifs_single_dataset(
    template_dir: Path, lead_hours: tuple[int, ...], append_dim_start: pd.Timestamp, source_url: str
) -> DynamicalDataset[Any, Any]:
    """The registered dataset on the test grid; a forecast is complete at its last test lead time."""
    config = SmallGridAifsSingleTemplateConfig(
        template_dir=template_dir,
        lead_hours=lead_hours,
        append_dim_start=append_dim_start,
        forecast_length=timedelta(f"{max(lead_hours)}h"),
    )
    return small_grid_dataset(ecmwf_aifs_single_forecast(), config, SmallGridAifsSingleRegionJob, source_url)


def expected_aifs_values(
    data_var: EcmwfDataVar, init: pd.Timestamp, leads: Sequence[pd.Timedelta], available: Availability
) -> np.ndarray:
    """(lead, latitude, longitude) as the dataset must store them for one init, NaN where no value can exist."""
    values = expected_stored_values(
        data_var, init, leads, [0], lambda init, lead, member: available(init, lead), metres_before_aifs_single
    )
    return values[:, 0]
