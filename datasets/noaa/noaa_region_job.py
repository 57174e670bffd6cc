"""What every NOAA dataset shares: `.idx`-guided byte-range downloads of a group of variables and decoding."""

import contextlib
import hashlib
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, cast

import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.errors import SourceReadError
from datasets.common.region_job import RegionJob, SourceFileCoord
from datasets.common.sources.fetch import cache_dir, download_to_file, fetch_bytes, join_url
from datasets.common.sources.grib import ExpectedField, GridSpec, decode_message, read_message
from datasets.common.sources.noaa_idx import IdxMessage, parse_idx, select_message
from datasets.noaa.noaa_variables import NoaaDataVar, NoaaInternalAttrs


class NoaaSourceFileCoord(SourceFileCoord):
    """One NOAA GRIB file and the fields wanted from it, in the order they are stored in the local copy."""

    base_url: str
    init_time: pd.Timestamp
    lead_time: pd.Timedelta
    fields: tuple[ExpectedField, ...]

    @abstractmethod
    def relative_path(self) -> str:
        """The file's path below the archive root, e.g. gfs.20240101/00/atmos/gfs.t00z.pgrb2.0p25.f003."""

    def get_url(self) -> str:
        return join_url(self.base_url, self.relative_path())

    def index_url(self) -> str:
        return self.get_url() + ".idx"

    def out_loc(self) -> Mapping[str, Any]:
        return {"init_time": self.init_time, "lead_time": self.lead_time}

    def local_name(self) -> str:
        digest = hashlib.sha256("|".join(str(f) for f in self.fields).encode()).hexdigest()[:12]
        return f"{self.relative_path().replace('/', '_')}.{digest}.grib2"


def select_field(messages: Sequence[IdxMessage], field: ExpectedField) -> IdxMessage:
    """The field's message, under its element or else the first alternative element the index has."""
    elements = (field.element or "", *field.alternative_elements)
    for element in elements:
        with contextlib.suppress(SourceReadError):
            return select_message(messages, element, field.level or "", field.forecast or "")
    raise SourceReadError(f"no idx entry for {'|'.join(elements)}:{field.level}:{field.forecast}")


def needs_message(internal_attrs: NoaaInternalAttrs, lead_time: pd.Timedelta) -> bool:
    return lead_time > pd.Timedelta(0) or internal_attrs.has_hour_0_values


class NoaaRegionJob[SFC: NoaaSourceFileCoord](RegionJob[NoaaDataVar, SFC]):
    """A forecast region job over (init_time, lead_time) NOAA files with `.idx` inventories.

    Subclasses set `source_file_coord_class`, `grid` and `roll_longitude`; datasets with other dimensions
    override `generate_source_file_coords`.
    """

    source_file_coord_class: ClassVar[type[NoaaSourceFileCoord]]
    grid: ClassVar[GridSpec]
    roll_longitude: ClassVar[bool] = False

    def generate_source_file_coords(
        self, processing_region_ds: xr.Dataset, data_var_group: Sequence[NoaaDataVar]
    ) -> Sequence[SFC]:
        assert self.source_url is not None, "source_url must be resolved (DynamicalDataset.source_url) for a job"
        return [
            self.source_file_coord(init_time, lead_time, data_var_group)
            for init_time in pd.DatetimeIndex(processing_region_ds["init_time"].values)
            for lead_time in pd.TimedeltaIndex(processing_region_ds["lead_time"].values)
        ]

    def source_file_coord(
        self, init_time: pd.Timestamp, lead_time: pd.Timedelta, data_var_group: Sequence[NoaaDataVar]
    ) -> SFC:
        assert self.source_url is not None, "source_url must be resolved (DynamicalDataset.source_url) for a job"
        fields = tuple(
            v.internal_attrs.expected_field(lead_time)
            for v in data_var_group
            if needs_message(v.internal_attrs, lead_time)
        )
        coord = self.source_file_coord_class(
            base_url=self.source_url, init_time=init_time, lead_time=lead_time, fields=fields
        )
        return cast("SFC", coord)

    def download_file(self, coord: SFC) -> Path:
        """Download the `.idx`, pick each wanted field's message and fetch those ranges into one local file."""
        messages = parse_idx(fetch_bytes(coord.index_url()).decode())
        selected = [select_field(messages, field) for field in coord.fields]
        dest = cache_dir(str(self.template_ds.attrs["dataset_id"])) / coord.local_name()
        if not selected:
            dest.write_bytes(b"")
            return dest
        return download_to_file(coord.get_url(), dest, [m.byte_range for m in selected])

    def read_data(self, coord: SFC, data_var: NoaaDataVar) -> np.ndarray:
        if not needs_message(data_var.internal_attrs, coord.lead_time):
            return np.full((self.grid.nj, self.grid.ni), np.nan, dtype=np.float32)
        assert coord.downloaded_path is not None, "read_data runs after a successful download"
        field = data_var.internal_attrs.expected_field(coord.lead_time)
        message = read_message(coord.downloaded_path, coord.fields.index(field))
        return decode_message(message, self.grid, field, roll_longitude=self.roll_longitude)
