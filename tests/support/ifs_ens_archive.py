"""A synthetic IFS ENS archive for the ecmwf-ifs-ens-forecast-15-day-0-25-degree variables on a coarse grid, and the
values the dataset must store for it, computed from the generating function independently of the job."""

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from datasets.common.sources.grib import GridSpec
from datasets.common.timestamps import timestamp
from datasets.ecmwf.ifs_ens.forecast_15_day_0_25_degree.region_job import (
    EcmwfIfsEnsForecast15Day025DegreeRegionJob,
)
from datasets.ecmwf.ifs_ens.forecast_15_day_0_25_degree.template_config import (
    EcmwfDataVar,
    EcmwfIfsEnsForecast15Day025DegreeTemplateConfig,
)
from tests.support.ecmwf_archive import (
    TEST_GRID,
    UNREAD_FIELD,
    SmallGridEcmwfTemplate,
    ecmwf_field,
    write_ecmwf_file,
)
from tests.support.region_jobs import with_chunks

CONTROL_IN_OPER_FROM = timestamp("2026-05-12T06:00")
CHUNKS = (1, 6, 51, 5, 6)
SHARDS = (1, 6, 51, 10, 12)


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


class SmallGridTemplateConfig(SmallGridEcmwfTemplate, EcmwfIfsEnsForecast15Day025DegreeTemplateConfig):
    """The real template on TEST_GRID with a few of its lead times and small shards, rendered to a test folder."""

    @property
    def data_vars(self) -> Sequence[EcmwfDataVar]:
        return tuple(with_chunks(super().data_vars, CHUNKS, SHARDS))


class SmallGridRegionJob(EcmwfIfsEnsForecast15Day025DegreeRegionJob):
    grid: ClassVar[GridSpec] = TEST_GRID.grid_spec()
    # Six of the small template's shards: two variables in flight, each in two blocks (rows of three shards).
    memory_budget_bytes: ClassVar[int | None] = 6 * int(np.prod(SHARDS)) * 4
    # Every variable of a kind together: fewer downloads in tests.
    max_vars_per_group: ClassVar[int] = 19
