"""A synthetic GEFS archive (`a`, `b` and `s` files for every member) on coarse stand-in grids, and the values the
dataset must store for it, computed from the generating function independently of the job."""

import itertools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import ClassVar, cast, get_args

import eccodes
import numpy as np
import pandas as pd

from datasets.common.sources.grib import GridSpec
from datasets.common.sources.noaa_idx import forecast_text, window_forecast_text
from datasets.common.sources.synthetic_archive import (
    GribVariable,
    encode_member,
    encode_message,
    ensemble_text,
    expected_value,
)
from datasets.common.sources.synthetic_grids import ArchiveGrid
from datasets.common.timestamps import timedelta
from datasets.common.transforms.rounding import round_for_storage
from datasets.common.transforms.units import KELVIN_AT_ZERO_CELSIUS
from datasets.noaa.gefs.forecast_35_day.region_job import NoaaGefsForecast35DayRegionJob
from datasets.noaa.gefs.forecast_35_day.template_config import (
    GefsDataVar,
    GefsFileType,
    NoaaGefsForecast35DayTemplateConfig,
)
from datasets.noaa.gfs.forecast.template_config import GfsDataVar
from tests.support import gfs_archive

FINE_GRID = ArchiveGrid(resolution=10.0)  # stands in for 0.25 degrees
COARSE_GRID = ArchiveGrid(resolution=20.0)  # stands in for 0.5 degrees
GRIDS: dict[GefsFileType, ArchiveGrid] = {"s": FINE_GRID, "a": COARSE_GRID, "b": COARSE_GRID}
FINE_FILES_LAST_LEAD = timedelta("240h")
RESET_HOURS = 6
# A message no variable reads, so selection has to skip it.
UNREAD_FIELD = GribVariable(
    element="TMP", level="850 mb", discipline=0, category=0, number=0, surface_type=100, surface_value=85_000
)
EXTRA_VARIABLES = {
    "wind_gust_surface": GribVariable(
        element="GUST", level="surface", discipline=0, category=2, number=22, surface_type=1, offset=10, amplitude=8
    ),
    "geopotential_height_500hpa": GribVariable(
        element="HGT", level="500 mb", discipline=0, category=3, number=5, surface_type=100, surface_value=50_000,
        offset=5_500, amplitude=300,
    ),
}  # fmt: skip


def grib_variable(data_var: GefsDataVar) -> GribVariable:
    # A GEFS variable is a GFS one plus the file types it comes from.
    return EXTRA_VARIABLES.get(data_var.name) or gfs_archive.grib_variable(cast("GfsDataVar", data_var))


def gefs_relative_path(init: pd.Timestamp, member: int, lead: pd.Timedelta, file_type: GefsFileType) -> str:
    hours = int(lead / timedelta("1h"))
    name = "c00" if member == 0 else f"p{member:02d}"
    resolution = "0p25" if file_type == "s" else "0p50"
    folder = f"pgrb2{file_type}{'p25' if file_type == 's' else 'p5'}"
    return (
        f"gefs.{init:%Y%m%d}/{init:%H}/atmos/{folder}/ge{name}.t{init:%H}z.pgrb2{file_type}.{resolution}.f{hours:03d}"
    )


def in_file(data_var: GefsDataVar, file_type: GefsFileType) -> bool:
    attrs = data_var.internal_attrs
    return file_type in (attrs.fine_file_type, attrs.coarse_file_type)


def write_member_files(
    paths: Mapping[int, Path],
    init: pd.Timestamp,
    lead: pd.Timedelta,
    variables: Sequence[GribVariable],
    grid: ArchiveGrid,
) -> None:
    """One file (and `.idx`) per member, as `write_grib_file` writes them; members after the first are
    re-encoded from the first member's message, which is much faster than encoding from scratch."""
    latitude, longitude = np.meshgrid(grid.latitudes, grid.longitudes, indexing="ij")
    contents: dict[int, list[bytes]] = {member: [] for member in paths}
    lines: dict[int, list[str]] = {member: [] for member in paths}
    for variable in variables:
        for window_start in variable.windows(lead):
            if window_start is None:
                forecast = forecast_text(lead, None)
            else:
                assert variable.window_kind is not None
                forecast = window_forecast_text(lead, window_start, variable.window_kind)
            handle = None
            try:
                for member in paths:
                    values = expected_value(
                        variable, init, lead, latitude, longitude, member=member, window_start=window_start
                    )
                    if handle is None:
                        message = encode_message(
                            variable, init, lead, grid, values, window_start=window_start, member=member
                        )
                        handle = eccodes.codes_new_from_message(message)
                    else:
                        message = encode_member(handle, values, member, variable.fraction_bits)
                    offset = sum(len(m) for m in contents[member])
                    lines[member].append(
                        f"{len(lines[member]) + 1}:{offset}:d={init:%Y%m%d%H}:{variable.element}:{variable.level}:"
                        f"{forecast}:{ensemble_text(member)}"
                    )
                    contents[member].append(message)
            finally:
                if handle is not None:
                    eccodes.codes_release(handle)
    for member, path in paths.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(contents[member]))
        path.with_name(path.name + ".idx").write_text("\n".join(lines[member]) + "\n")


def write_gefs_archive(
    root: Path,
    data_vars: Sequence[GefsDataVar],
    inits: Sequence[pd.Timestamp],
    members: Sequence[int],
    leads: Sequence[pd.Timedelta],
) -> list[Path]:
    """Every file the real archive has for these inits, members and leads (`s` only up to 240 h)."""
    paths = []
    for init, lead, file_type in itertools.product(inits, leads, get_args(GefsFileType.__value__)):
        if file_type == "s" and lead > FINE_FILES_LAST_LEAD:
            continue
        variables = [UNREAD_FIELD, *(grib_variable(v) for v in data_vars if in_file(v, file_type))]
        member_paths = {m: root / gefs_relative_path(init, m, lead, file_type) for m in members}
        write_member_files(member_paths, init, lead, variables, GRIDS[file_type])
        paths.extend(member_paths.values())
    return paths


class SmallGridTemplateConfig(NoaaGefsForecast35DayTemplateConfig):
    """The real template on FINE_GRID with a few of its lead times and small shards, rendered to a test folder."""

    template_dir: Path
    lead_hours: tuple[int, ...]
    chunks: tuple[int, ...] = (1, 31, 4, 5, 6)
    shards: tuple[int, ...] = (1, 31, 12, 10, 12)

    def template_path(self) -> Path:
        return self.template_dir / "latest.zarr"

    def latitudes(self) -> np.ndarray:
        return FINE_GRID.latitudes

    def longitudes(self) -> np.ndarray:
        return FINE_GRID.longitudes - 180

    def lead_times(self) -> pd.TimedeltaIndex:
        return pd.TimedeltaIndex(pd.to_timedelta(list(self.lead_hours), unit="h"), name="lead_time")


class SmallGridRegionJob(NoaaGefsForecast35DayRegionJob):
    grids: ClassVar[Mapping[GefsFileType, GridSpec]] = {t: grid.grid_spec() for t, grid in GRIDS.items()}
    grid: ClassVar[GridSpec] = FINE_GRID.grid_spec()
    # Six of the small template's shards: two variables in flight, each in two blocks (rows of three shards).
    memory_budget_bytes: ClassVar[int | None] = 6 * 31 * 12 * 10 * 12 * 4
    # All variables of a file type together: fewer downloads in tests.
    max_vars_per_group: ClassVar[int] = 27


def on_dataset_grid(values: np.ndarray, grid: ArchiveGrid) -> np.ndarray:
    """A source field on FINE_GRID with longitudes from -180: coarse points as they are, the points between them
    linear in latitude, then in longitude (periodic), between their neighbours."""
    if grid != FINE_GRID:
        factor = round(grid.resolution / FINE_GRID.resolution)
        assert grid.resolution == factor * FINE_GRID.resolution
        rows = np.empty((FINE_GRID.nj, values.shape[1]))
        rows[::factor] = values
        for k in range(1, factor):
            rows[k::factor] = values[:-1] * (1 - k / factor) + values[1:] * (k / factor)
        values = np.empty((FINE_GRID.nj, FINE_GRID.ni))
        values[:, ::factor] = rows
        for k in range(1, factor):
            values[:, k::factor] = rows * (1 - k / factor) + np.roll(rows, -1, axis=1) * (k / factor)
    return np.roll(values, FINE_GRID.ni // 2, axis=1).astype(np.float32)


def message_on_dataset_grid(data_var: GefsDataVar, init: pd.Timestamp, member: int, lead: pd.Timedelta) -> np.ndarray:
    """The message the job reads for (member, lead), on the dataset grid, before any transform."""
    grid = GRIDS[data_var.internal_attrs.file_type(lead)]
    latitude, longitude = np.meshgrid(grid.latitudes, grid.longitudes, indexing="ij")
    values = expected_value(grib_variable(data_var), init, lead, latitude, longitude, member=member)
    return on_dataset_grid(values, grid)


def hours(lead: pd.Timedelta) -> int:
    return int(lead / timedelta("1h"))


def expected_stored_values(
    data_var: GefsDataVar,
    init: pd.Timestamp,
    member: int,
    leads: Sequence[pd.Timedelta],
    available: Callable[[pd.Timestamp, int, pd.Timedelta], bool],
) -> np.ndarray:
    """(lead, latitude, longitude) as the dataset must store them, NaN where no value can exist.

    Accumulations become rates along the stored lead times: (A - A_previous) / step, where A_previous counts as 0
    when the previous lead time starts a window (a multiple of 6 h).
    """
    attrs = data_var.internal_attrs
    out = np.full((len(leads), FINE_GRID.nj, FINE_GRID.ni), np.nan, dtype=np.float32)

    def message(lead: pd.Timedelta) -> np.ndarray | None:
        if not available(init, member, lead) or (lead == timedelta(0) and not attrs.has_hour_0_values):
            return None
        return message_on_dataset_grid(data_var, init, member, lead)

    for i, lead in enumerate(leads):
        values = message(lead)
        if values is None:
            continue
        if attrs.deaccumulate_to_rate:
            if i == 0:
                continue
            previous = leads[i - 1]
            if hours(previous) % RESET_HOURS:
                previous_values = message(previous)
                if previous_values is None:
                    continue
                values = values - previous_values
            values = values / np.float32((lead - previous).total_seconds())
        elif attrs.unit_conversion == "kelvin_to_celsius":
            values = values - np.float32(KELVIN_AT_ZERO_CELSIUS)
        out[i] = values
    return round_for_storage(out, attrs)
