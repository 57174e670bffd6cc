"""noaa-gefs-analysis on the coarse GEFS test grids, a synthetic archive in its three layouts (operational files
per lead and file type; reforecast files per variable with leads 3-24 h; pre-v12 `a`/`b` files with leads 0 and
6 h on a coarser grid), and the values the dataset must store, computed from the generating function independently
of the job."""

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.sources.grib import GridSpec
from datasets.common.sources.noaa_idx import forecast_text, gfs_window_start
from datasets.common.sources.synthetic_archive import GribVariable, encode_message, ensemble_text, expected_value
from datasets.common.sources.synthetic_grids import ArchiveGrid
from datasets.common.timestamps import timedelta, timestamp
from datasets.common.transforms.rounding import round_for_storage
from datasets.common.transforms.units import KELVIN_AT_ZERO_CELSIUS
from datasets.noaa.gefs.analysis.dynamical_dataset import noaa_gefs_analysis
from datasets.noaa.gefs.analysis.region_job import (
    OPERATIONAL_BUCKET,
    REFORECAST_ABSENT,
    GefsPreV12SourceFileCoord,
    GefsReforecastSourceFileCoord,
    NoaaGefsAnalysisRegionJob,
    reforecast_file_variable,
)
from datasets.noaa.gefs.analysis.template_config import (
    GEFS_ANALYSIS_DATA_VARS,
    PRE_V12_STEP,
    NoaaGefsAnalysisTemplateConfig,
)
from datasets.noaa.gefs.forecast_35_day.template_config import GefsDataVar, GefsFileType
from tests.support.gefs_archive import (
    COARSE_GRID,
    FINE_GRID,
    GRIDS,
    UNREAD_FIELD,
    gefs_relative_path,
    grib_variable,
    on_dataset_grid,
    write_gefs_archive,
    write_member_files,
)
from tests.support.region_jobs import TemplateInFolder, small_grid_dataset, with_chunks

SHARD_TIMES = 12
HOUR = timedelta("1h")
STEP = timedelta("3h")
START = timestamp("2019-12-31T00:00")
# The gap before the operational archive shrunk to three times, so a test crosses both switches.
TEST_OPERATIONAL_START = timestamp("2020-01-01T12:00")
OPERATIONAL_LEADS = [timedelta(f"{h}h") for h in (0, 3, 6)]
REFORECAST_LEADS = [timedelta(f"{h}h") for h in range(3, 25, 3)]
# The reforecast publishes this variable at 0.5 degrees, the others at 0.25 (a stand-in for the real mix).
COARSE_REFORECAST = "geopotential_height_500hpa"
# Stands in for the pre-v12 1.0 degree grid: 3 x FINE_GRID (4 x, 40 degrees, does not divide 180).
PRE_V12_GRID = ArchiveGrid(resolution=30.0)
PRE_V12_LEADS = [timedelta("0h"), PRE_V12_STEP]
PRE_V12_INITS = [timestamp("2020-01-01T00:00"), timestamp("2020-01-01T06:00")]  # the test's pre-v12 runs
# Not in the pre-v12 `b` files (the anchor's test of that period), so not written: listed as not found.
PRE_V12_ABSENT = frozenset({"geopotential_height_cloud_ceiling"})
MEAN_SEA_LEVEL_PRES = {"discipline": 0, "category": 3, "number": 0, "element": "PRES"}  # PRMSL in the reforecast

type VariableAvailability = Callable[[str, pd.Timestamp, pd.Timedelta], bool]


class SmallGridGefsAnalysisTemplateConfig(TemplateInFolder, NoaaGefsAnalysisTemplateConfig):
    append_dim_start: pd.Timestamp = START

    def latitudes(self) -> np.ndarray:
        return FINE_GRID.latitudes

    def longitudes(self) -> np.ndarray:
        return FINE_GRID.longitudes - 180

    @property
    def data_vars(self) -> Sequence[GefsDataVar]:
        return with_chunks(super().data_vars, (SHARD_TIMES, 5, 6), (SHARD_TIMES, 10, 12))


class SmallGridGefsAnalysisRegionJob(NoaaGefsAnalysisRegionJob):
    grids: ClassVar = {t: grid.grid_spec() for t, grid in GRIDS.items()}
    grid: ClassVar[GridSpec] = FINE_GRID.grid_spec()
    pre_v12_grid: ClassVar[GridSpec] = PRE_V12_GRID.grid_spec()
    operational_start: ClassVar[pd.Timestamp] = TEST_OPERATIONAL_START
    memory_budget_bytes: ClassVar[int | None] = None


def small_grid_gefs_analysis_dataset(template_dir: Path, source_url: str) -> DynamicalDataset:
    config = SmallGridGefsAnalysisTemplateConfig(template_dir=template_dir)
    return small_grid_dataset(noaa_gefs_analysis(), config, SmallGridGefsAnalysisRegionJob, source_url)


def operational_path(init: pd.Timestamp, lead: pd.Timedelta, file_type: str = "s") -> str:
    return f"{OPERATIONAL_BUCKET}/{gefs_relative_path(init, 0, lead, file_type)}"  # ty: ignore[invalid-argument-type]


def pre_v12_path(init: pd.Timestamp, lead: pd.Timedelta, file_type: GefsFileType) -> str:
    coord = GefsPreV12SourceFileCoord(
        base_url="", init_time=init, lead_time=lead, fields=(), ensemble_member=0, file_type=file_type
    )
    return coord.relative_path()


def reforecast_path(data_var: GefsDataVar, init: pd.Timestamp) -> str:
    coord = GefsReforecastSourceFileCoord(
        base_url="", init_time=init, lead_time=STEP, fields=(), file_variable=reforecast_file_variable(data_var)
    )
    return coord.relative_path()


def reforecast_variable(data_var: GefsDataVar) -> GribVariable:
    variable = grib_variable(data_var)
    if data_var.name == "pressure_reduced_to_mean_sea_level":
        return variable.model_copy(update=MEAN_SEA_LEVEL_PRES)
    return variable


def reforecast_grid(data_var: GefsDataVar) -> ArchiveGrid:
    return COARSE_GRID if data_var.name == COARSE_REFORECAST else FINE_GRID


def write_reforecast_files(root: Path, inits: Sequence[pd.Timestamp]) -> list[Path]:
    """One file (and `.idx`) per reforecast file name (10 m and 100 m winds share one) and daily init, holding
    leads 3-24 h, for the variables the reforecast has."""
    files: dict[str, list[GefsDataVar]] = {}
    for data_var in GEFS_ANALYSIS_DATA_VARS:
        if data_var.name not in REFORECAST_ABSENT:
            files.setdefault(reforecast_file_variable(data_var), []).append(data_var)
    paths = []
    for data_vars in files.values():
        for init in inits:
            messages: list[bytes] = []
            lines: list[str] = []
            for data_var, lead in itertools.product(data_vars, REFORECAST_LEADS):
                variable = reforecast_variable(data_var)
                grid = reforecast_grid(data_var)
                latitude, longitude = np.meshgrid(grid.latitudes, grid.longitudes, indexing="ij")
                kind = variable.window_kind
                start = None if kind is None else gfs_window_start(lead, 6)
                values = expected_value(variable, init, lead, latitude, longitude, member=0, window_start=start)
                lines.append(
                    f"{len(lines) + 1}:{sum(len(m) for m in messages)}:d={init:%Y%m%d%H}:{variable.element}:"
                    f"{variable.level}:{forecast_text(lead, kind, 6)}:{ensemble_text(0)}"
                )
                messages.append(encode_message(variable, init, lead, grid, values, window_start=start, member=0))
            path = root / reforecast_path(data_vars[0], init)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"".join(messages))
            path.with_name(path.name + ".idx").write_text("\n".join(lines) + "\n")
            paths.append(path)
    return paths


def write_pre_v12_files(root: Path, inits: Sequence[pd.Timestamp]) -> None:
    """The control member's `a` and `b` files (and `.idx`) of leads 0 and 6 h on PRE_V12_GRID: each variable in
    the file type of its 0.5 degree file today, but for PRE_V12_ABSENT."""
    for init, lead, file_type in itertools.product(inits, PRE_V12_LEADS, ("a", "b")):
        variables = [
            grib_variable(v)
            for v in GEFS_ANALYSIS_DATA_VARS
            if v.internal_attrs.coarse_file_type == file_type and v.name not in PRE_V12_ABSENT
        ]
        write_member_files(
            {0: root / pre_v12_path(init, lead, file_type)}, init, lead, [UNREAD_FIELD, *variables], PRE_V12_GRID
        )


def write_gefs_analysis_archive(
    root: Path,
    reforecast_inits: Sequence[pd.Timestamp],
    pre_v12_inits: Sequence[pd.Timestamp],
    operational_inits: Sequence[pd.Timestamp],
) -> None:
    write_reforecast_files(root, reforecast_inits)
    write_pre_v12_files(root, pre_v12_inits)
    write_gefs_archive(root / OPERATIONAL_BUCKET, GEFS_ANALYSIS_DATA_VARS, operational_inits, [0], OPERATIONAL_LEADS)


def source_of(time: pd.Timestamp, windowed: bool) -> tuple[pd.Timestamp, pd.Timedelta]:
    """The (init, lead) the dataset's value at `time` comes from, in the test's eras."""
    if time - HOUR < NoaaGefsAnalysisRegionJob.reforecast_end:
        init = timestamp((time - HOUR).floor("24h"))
    else:
        init = timestamp((time - HOUR if windowed else time).floor("6h"))
    return init, time - init


def is_reforecast(init: pd.Timestamp) -> bool:
    return init < NoaaGefsAnalysisRegionJob.reforecast_end


def is_pre_v12(init: pd.Timestamp) -> bool:
    return not is_reforecast(init) and init < TEST_OPERATIONAL_START


def has_source(data_var: GefsDataVar, init: pd.Timestamp) -> bool:
    if is_pre_v12(init):
        return data_var.name not in PRE_V12_ABSENT
    if init >= TEST_OPERATIONAL_START:
        return True
    return is_reforecast(init) and init >= START - timedelta("24h") and data_var.name not in REFORECAST_ABSENT


def source_values(data_var: GefsDataVar, init: pd.Timestamp, lead: pd.Timedelta) -> np.ndarray:
    if is_reforecast(init):
        grid, variable = reforecast_grid(data_var), reforecast_variable(data_var)
    elif is_pre_v12(init):
        grid, variable = PRE_V12_GRID, grib_variable(data_var)
    else:
        grid, variable = GRIDS[data_var.internal_attrs.file_type(lead)], grib_variable(data_var)
    latitude, longitude = np.meshgrid(grid.latitudes, grid.longitudes, indexing="ij")
    kind = variable.window_kind
    start = None if kind is None else gfs_window_start(lead, 6)
    values = expected_value(variable, init, lead, latitude, longitude, member=0, window_start=start)
    return on_dataset_grid(values, grid).astype(np.float64)


def expected_gefs_analysis_values(
    data_var: GefsDataVar, times: Sequence[pd.Timestamp], available: VariableAvailability
) -> np.ndarray:
    """(time, latitude, longitude) as the dataset must store them, NaN where no value can exist. Pre-v12 times
    between its 6-hourly leads are the mean of the times before and after them (categorical variables: NaN)."""
    attrs = data_var.internal_attrs
    out = np.full((len(times), FINE_GRID.nj, FINE_GRID.ni), np.nan, dtype=np.float32)

    def value(init: pd.Timestamp, lead: pd.Timedelta) -> np.ndarray | None:
        if not has_source(data_var, init) or not available(data_var.name, init, lead):
            return None
        return source_values(data_var, init, lead)

    between_leads = []
    for i, time in enumerate(times):
        init, lead = source_of(time, attrs.window_kind is not None)
        step = PRE_V12_STEP if is_pre_v12(init) else STEP
        if lead % step:
            between_leads.append(i)
            continue
        values = value(init, lead)
        if values is None:
            continue
        if attrs.deaccumulate_to_rate or attrs.deaverage:
            first_in_window = (lead - step) % timedelta("6h") == timedelta(0)
            if not first_in_window:
                previous = value(init, lead - step) if time != times[0] else None
                if previous is None:
                    continue
                values = 2 * values - previous if attrs.deaverage else values - previous
            if attrs.deaccumulate_to_rate:
                values = values / step.total_seconds()
        values = values.astype(np.float32)
        if attrs.unit_conversion == "kelvin_to_celsius":
            values -= np.float32(KELVIN_AT_ZERO_CELSIUS)
        out[i] = values
    for i in between_leads:
        if data_var.attrs.flag_values is None and 0 < i < len(times) - 1:
            out[i] = (out[i - 1].astype(np.float64) + out[i + 1]) / 2
    return round_for_storage(out, attrs)
