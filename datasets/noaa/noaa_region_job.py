"""What every NOAA dataset shares: `.idx`-guided byte-range downloads of a group of variables and decoding."""

import contextlib
import hashlib
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, cast

import numpy as np
import pandas as pd
import xarray as xr
from pydantic import PrivateAttr

from datasets.common.errors import SourceNotFoundError
from datasets.common.region_job import RegionJob
from datasets.common.results import SourceFault
from datasets.common.source_file import SourceFileCoord, download_fields
from datasets.common.sources.fetch import ByteRange, SharedReads, cache_dir, fetch_bytes, join_url
from datasets.common.sources.grib import ExpectedField, GridSpec, decode_message, message_at_start
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
        with contextlib.suppress(SourceNotFoundError):
            return select_message(messages, element, field.level or "", field.forecast or "")
    raise SourceNotFoundError(f"no idx entry for {'|'.join(elements)}:{field.level}:{field.forecast}")


def field_range(messages: Sequence[IdxMessage], field: ExpectedField) -> ByteRange | SourceFault:
    try:
        return select_field(messages, field).byte_range
    except SourceNotFoundError as e:
        return SourceFault.of(e)


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
    # A file's .idx read once while its coords are downloaded (a GEFS reforecast file serves eight analysis times).
    _indexes: SharedReads[list[IdxMessage]] = PrivateAttr(default_factory=lambda: SharedReads(size=16))

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

    def download_file(self, coord: SFC) -> SFC:
        """The `.idx`, then the byte ranges of the wanted fields it lists (nearby ones in one request) into one
        local file; a field the index lacks is recorded as not found."""
        url = coord.index_url()
        messages = self._indexes.get(url, lambda: parse_idx(fetch_bytes(url).decode()))
        dest = cache_dir(str(self.template_ds.attrs["dataset_id"])) / coord.local_name()
        return download_fields(coord, dest, [field_range(messages, field) for field in coord.fields])

    def read_data(self, coord: SFC, data_var: NoaaDataVar) -> np.ndarray:
        if not needs_message(data_var.internal_attrs, coord.lead_time):
            return np.full((self.grid.nj, self.grid.ni), np.nan, dtype=np.float32)
        field = data_var.internal_attrs.expected_field(coord.lead_time)
        message = message_at_start(coord.field_bytes(coord.fields.index(field)))
        return decode_message(message, self.grid, field, roll_longitude=self.roll_longitude)
