"""What GEFS datasets share: the operational archive's file layout and reading a field onto the 0.25 degree grid."""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from datasets.common.sources.grib import ExpectedField, GridSpec, decode_message
from datasets.common.timestamps import timedelta
from datasets.common.transforms.regrid import regrid_bilinear
from datasets.noaa.gefs.forecast_35_day.template_config import GefsDataVar, GefsFileType
from datasets.noaa.noaa_region_job import NoaaSourceFileCoord, needs_message

S3_BASE_URL = "https://noaa-gefs-pds.s3.amazonaws.com"
GEFS_GRIDS: Mapping[GefsFileType, GridSpec] = {
    "s": GridSpec.global_latitude_longitude(0.25),
    "a": GridSpec.global_latitude_longitude(0.5),
    "b": GridSpec.global_latitude_longitude(0.5),
}


def grid_axes(grid: GridSpec) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes of a global regular grid, in the order of the decoded values."""
    assert grid.last_latitude is not None, "a regular grid has a last latitude"
    latitudes = np.linspace(grid.first_latitude, grid.last_latitude, grid.nj)
    return latitudes, grid.first_longitude + np.arange(grid.ni) * (360 / grid.ni)


class GefsSourceFileCoord(NoaaSourceFileCoord):
    ensemble_member: int
    file_type: GefsFileType

    def relative_path(self) -> str:
        init = self.init_time
        hours = int(self.lead_time / timedelta("1h"))
        member = "c00" if self.ensemble_member == 0 else f"p{self.ensemble_member:02d}"
        folder, resolution = ("pgrb2sp25", "0p25") if self.file_type == "s" else (f"pgrb2{self.file_type}p5", "0p50")
        name = f"ge{member}.t{init:%H}z.pgrb2{self.file_type}.{resolution}.f{hours:03d}"
        return f"gefs.{init:%Y%m%d}/{init:%H}/atmos/{folder}/{name}"

    def out_loc(self) -> Mapping[str, Any]:
        return {**super().out_loc(), "ensemble_member": self.ensemble_member}


def expected_field(data_var: GefsDataVar, lead_time: pd.Timedelta, ensemble_member: int) -> ExpectedField:
    field = data_var.internal_attrs.expected_field(lead_time)
    return field.model_copy(update={"ensemble_member": ensemble_member})


def gefs_source_file_coord[SFC: GefsSourceFileCoord](
    coord_class: type[SFC],
    base_url: str,
    init_time: pd.Timestamp,
    lead_time: pd.Timedelta,
    ensemble_member: int,
    data_var_group: Sequence[GefsDataVar],
    file_type: GefsFileType | None = None,
) -> SFC:
    """The file of one member and lead that holds the group's variables (of `file_type`, by default the one the
    current archive has them in), and the fields wanted from it."""
    if file_type is None:
        (file_type,) = {v.internal_attrs.file_type(lead_time) for v in data_var_group}
    fields = tuple(
        expected_field(v, lead_time, ensemble_member)
        for v in data_var_group
        if needs_message(v.internal_attrs, lead_time)
    )
    return coord_class(
        base_url=base_url,
        init_time=init_time,
        lead_time=lead_time,
        fields=fields,
        ensemble_member=ensemble_member,
        file_type=file_type,
    )


def field_on_grid(
    message: bytes, grid: GridSpec, field: ExpectedField, latitudes: np.ndarray, longitudes: np.ndarray
) -> np.ndarray:
    """A field on the dataset's grid: 0.25 degree values as they are, 0.5 degree ones bilinearly regridded."""
    return regrid_bilinear(decode_message(message, grid, field), *grid_axes(grid), latitudes, longitudes)
