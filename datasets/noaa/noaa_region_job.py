"""What every NOAA dataset shares: `.idx`-guided byte-range downloads of a group of variables and decoding."""

import contextlib
import hashlib
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, cast

import numpy as np
import pandas as pd
import xarray as xr
from pydantic import model_validator

from datasets.common.config_models import BaseInternalAttrs, DataVar
from datasets.common.errors import SourceNotFoundError
from datasets.common.region_job import RegionJob
from datasets.common.results import SourceFault
from datasets.common.source_file import SourceFileCoord, download_fields
from datasets.common.sources.fetch import ByteRange, cache_dir, fetch_bytes, join_url
from datasets.common.sources.grib import ExpectedField, GridSpec, decode_message, message_at_start
from datasets.common.sources.noaa_idx import IdxMessage, WindowKind, forecast_text, parse_idx, select_message
from datasets.common.transforms.deaccumulation import deaccumulate_to_rates_inplace
from datasets.common.transforms.rounding import round_for_storage
from datasets.common.transforms.units import kelvin_to_celsius_inplace

type UnitConversion = Literal["kelvin_to_celsius"]

DEACCUMULATION_INVALID = "deaccumulation_invalid_values"


class NoaaInternalAttrs(BaseInternalAttrs):
    """Where a variable lives in a NOAA file (its `.idx` identity) and how it becomes the stored value."""

    grib_element: str
    grib_index_level: str
    window_kind: WindowKind | None = None  # None: an instant field
    window_reset_hours: int | None = None
    deaccumulate_to_rate: bool = False
    unit_conversion: UnitConversion | None = None
    # Elements that carry the same field in some files (older files may use another name).
    alternative_grib_elements: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent_window(self) -> "NoaaInternalAttrs":
        assert (self.window_kind is None) == (self.window_reset_hours is None), "a window needs a reset period"
        assert not self.deaccumulate_to_rate or self.window_kind == "acc", "only accumulations deaccumulate"
        return self

    @property
    def has_hour_0_values(self) -> bool:
        return self.window_kind is None

    def expected_field(self, lead_time: pd.Timedelta) -> ExpectedField:
        forecast = forecast_text(lead_time, self.window_kind, self.window_reset_hours)
        return ExpectedField(
            element=self.grib_element,
            level=self.grib_index_level,
            forecast=forecast,
            alternative_elements=self.alternative_grib_elements,
        )


type NoaaDataVar = DataVar[Any]  # a DataVar whose internal_attrs is a NoaaInternalAttrs (or a subclass)


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
        messages = parse_idx(fetch_bytes(coord.index_url()).decode())
        dest = cache_dir(str(self.template_ds.attrs["dataset_id"])) / coord.local_name()
        return download_fields(coord, dest, [field_range(messages, field) for field in coord.fields])

    def apply_data_transformations(self, data_array: xr.DataArray, data_var: NoaaDataVar) -> Mapping[str, int]:
        """Unit conversion, accumulations to rates along lead_time, then rounding."""
        attrs = data_var.internal_attrs
        values = data_array.values
        counters = {}
        if attrs.unit_conversion == "kelvin_to_celsius":
            kelvin_to_celsius_inplace(values)
        if attrs.deaccumulate_to_rate:
            counters[DEACCUMULATION_INVALID] = deaccumulate_to_rates_inplace(
                values,
                data_array["lead_time"].values,
                np.timedelta64(attrs.window_reset_hours, "h"),
                axis=data_array.get_axis_num("lead_time"),
            )
        round_for_storage(values, attrs)
        return counters

    def read_data(self, coord: SFC, data_var: NoaaDataVar) -> np.ndarray:
        if not needs_message(data_var.internal_attrs, coord.lead_time):
            return np.full((self.grid.nj, self.grid.ni), np.nan, dtype=np.float32)
        field = data_var.internal_attrs.expected_field(coord.lead_time)
        message = message_at_start(coord.field_bytes(coord.fields.index(field)))
        return decode_message(message, self.grid, field, roll_longitude=self.roll_longitude)
