"""Small-grid virtual datasets over synthetic archives, and what a virtual chunk must hold: eccodes' decode of the
message its `.idx` entry names, read straight from the archive file."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.sources.grib import GridSpec, decode_message
from datasets.common.sources.noaa_idx import parse_idx
from datasets.common.timestamps import timedelta
from datasets.common.virtual.validators import read_references
from datasets.noaa.gfs.forecast_virtual import noaa_gfs_forecast_virtual
from datasets.noaa.gfs.forecast_virtual.template_config import NoaaGfsForecastVirtualTemplateConfig
from datasets.noaa.hrrr.forecast_48_hour_virtual import noaa_hrrr_forecast_48_hour_virtual
from datasets.noaa.hrrr.forecast_48_hour_virtual.template_config import NoaaHrrrForecast48HourVirtualTemplateConfig
from datasets.noaa.noaa_region_job import NoaaRegionJob, NoaaSourceFileCoord, needs_message, select_field
from datasets.noaa.noaa_virtual_template import virtual_encoding
from steps.metadata import open_published
from tests.support.gfs_archive import TEST_GRID as GFS_TEST_GRID
from tests.support.hrrr_archive import SMALL_GRID as HRRR_SMALL_GRID
from tests.support.region_jobs import TemplateInFolder


def on_grid(data_vars: Sequence[Any], grid: GridSpec) -> list[Any]:
    encoding = virtual_encoding(grid, leading_dims=2)
    return [v.model_copy(update={"encoding": encoding}) for v in data_vars]


class SmallGfsVirtualTemplateConfig(TemplateInFolder, NoaaGfsForecastVirtualTemplateConfig):
    lead_hours: int | None = None  # only lead times 0 … lead_hours - 1 (default: GFS's 209)

    def dimension_coordinates(self) -> dict[str, Any]:
        coordinates = super().dimension_coordinates()
        if self.lead_hours is not None:
            coordinates["lead_time"] = coordinates["lead_time"][: self.lead_hours]
        return coordinates

    def latitudes(self) -> np.ndarray:
        return GFS_TEST_GRID.latitudes

    def longitudes(self) -> np.ndarray:
        return GFS_TEST_GRID.longitudes

    @property
    def data_vars(self) -> Sequence[Any]:
        return on_grid(super().data_vars, GFS_TEST_GRID.grid_spec())


class SmallHrrrVirtualTemplateConfig(TemplateInFolder, NoaaHrrrForecast48HourVirtualTemplateConfig):
    grid: Any = HRRR_SMALL_GRID

    @property
    def data_vars(self) -> Sequence[Any]:
        return on_grid(super().data_vars, HRRR_SMALL_GRID.grid_spec())


def small_virtual_gfs(template_dir: Path, source_url: str, lead_hours: int | None = None) -> DynamicalDataset[Any, Any]:
    config = SmallGfsVirtualTemplateConfig(template_dir=template_dir, lead_hours=lead_hours)
    return _small(noaa_gfs_forecast_virtual(), config, source_url)


def small_virtual_hrrr(template_dir: Path, source_url: str) -> DynamicalDataset[Any, Any]:
    config = SmallHrrrVirtualTemplateConfig(template_dir=template_dir)
    return _small(noaa_hrrr_forecast_48_hour_virtual(), config, source_url)


def _small(dataset: DynamicalDataset[Any, Any], config: Any, source_url: str) -> DynamicalDataset[Any, Any]:
    config.update_template()
    return dataset.model_copy(update={"template_config": config, "source_base_url": source_url})


def source_message_values(
    archive: Path, coord: NoaaSourceFileCoord, data_var: Any, grid: GridSpec
) -> np.ndarray | None:
    """eccodes' decode of the variable's message in the archive file (None: the file has none by design)."""
    if not needs_message(data_var.internal_attrs, coord.lead_time):
        return None
    path = archive / coord.relative_path()
    message = select_field(
        parse_idx(path.with_name(path.name + ".idx").read_text()),
        data_var.internal_attrs.expected_field(coord.lead_time),
    )
    data = path.read_bytes()
    return decode_message(data[message.start : message.end or len(data)], grid)


def assert_equals_source(
    ds: xr.Dataset,
    dataset: DynamicalDataset[Any, Any],
    archive: Path,
    inits: Sequence[pd.Timestamp],
    leads: Sequence[pd.Timedelta],
) -> None:
    """Every variable at every (init, lead) equals eccodes' decode of its source message, bit for bit."""
    coord_class = cast("type[NoaaRegionJob[Any]]", dataset.region_job_class).source_file_coord_class
    for var in dataset.template_config.data_vars:
        grid = ds[var.name].encoding["serializer"].grid
        values = ds[var.name].sel(init_time=list(inits), lead_time=list(leads)).values
        for i, init in enumerate(inits):
            for j, lead in enumerate(leads):
                coord = coord_class(base_url="", init_time=init, lead_time=lead, fields=())
                expected = source_message_values(archive, coord, var, grid)
                where = f"{var.name} at {init} + {lead / timedelta('1h'):g} h"
                if expected is None:
                    assert np.isnan(values[i, j]).all(), where
                else:
                    np.testing.assert_array_equal(values[i, j], expected, err_msg=where)


def references_by_chunk(store: Any, names: Sequence[str]) -> dict[str, dict[tuple[int, ...], tuple[str, int, int]]]:
    """Every reference of every named array, read from the manifests: chunk → (URL, offset, length)."""
    found = {}
    for name in names:
        refs = read_references(store, name)
        found[name] = {
            tuple(int(i) for i in coords): (path, int(offset), int(length))
            for coords, path, offset, length in zip(refs.coords, refs.paths, refs.offsets, refs.lengths, strict=True)
        }
    return found


def partial_files(store: Any, dataset: DynamicalDataset[Any, Any]) -> list[str]:
    """(init, lead) chunks where some variables that have a message in the file are referenced and others not."""
    ds = open_published(store)
    if ds is None:
        return []
    data_vars = dataset.template_config.data_vars
    references = references_by_chunk(store, [v.name for v in data_vars])
    problems = []
    files = {chunk[:2] for refs in references.values() for chunk in refs}
    for i, j in sorted(files):
        lead = timedelta(ds["lead_time"].values[j])
        wanted = [v.name for v in data_vars if needs_message(v.internal_attrs, lead)]
        present = [name for name in wanted if (i, j, 0, 0) in references[name]]
        if present and len(present) != len(wanted):
            problems.append(f"init #{i} lead {lead}: {len(present)} of {len(wanted)} variables referenced")
    return problems
