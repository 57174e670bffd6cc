"""What every ECMWF open-data dataset shares: one file per (init, lead) whose JSON-lines `.index` gives each field's
exact byte range, fetched one request at a time per download (ECMWF asks for few parallel connections)."""

import hashlib
import itertools
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import xarray as xr
from pydantic import PrivateAttr

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import SourceNotFoundError, SourceReadError
from datasets.common.region_job import RegionJob
from datasets.common.results import SourceFault
from datasets.common.source_file import SourceFileCoord, download_fields
from datasets.common.source_groups import group_variables
from datasets.common.sources.ecmwf_index import EcmwfIndexEntry, parse_ecmwf_index, select_ecmwf_entry
from datasets.common.sources.fetch import ByteRange, SharedReads, cache_dir, fetch_bytes, join_url
from datasets.common.sources.grib import ExpectedField, GridSpec, decode_message, message_at_start
from datasets.common.timestamps import timedelta
from datasets.ecmwf.ecmwf_variables import EcmwfDataVar

S3_BASE_URL = "https://ecmwf-forecasts.s3.eu-central-1.amazonaws.com"


class IndexKey(FrozenBaseModel):
    param: str
    levtype: str
    levelist: str | None


def index_key(data_var: EcmwfDataVar, lead_time: pd.Timedelta) -> IndexKey:
    attrs = data_var.internal_attrs
    return IndexKey(param=attrs.index_param_at(lead_time), levtype=attrs.index_levtype, levelist=attrs.index_levelist)


def open_data_stem(init_time: pd.Timestamp, lead_time: pd.Timedelta, model_path: str, kind: str) -> str:
    """`{yyyymmdd}/{HH}z/{model}/{resol}/{stream}/{yyyymmddHH}0000-{step}h-{stream}-{type}` (no extension), e.g.
    model_path `ifs/0p25/enfo` and kind `enfo-ef`."""
    hours = int(lead_time / timedelta("1h"))
    return f"{init_time:%Y%m%d}/{init_time:%H}z/{model_path}/{init_time:%Y%m%d%H}0000-{hours}h-{kind}"


class EcmwfSourceFileCoord(SourceFileCoord):
    """One forecast's fields in one lead time's file, in the order they are stored in the local copy."""

    base_url: str
    init_time: pd.Timestamp
    lead_time: pd.Timedelta
    fields: tuple[IndexKey, ...]

    @abstractmethod
    def relative_stem(self) -> str:
        """The file's path below the archive root without `.grib2`/`.index` (see `open_data_stem`)."""

    @property
    def index_member(self) -> int:
        """The member whose `.index` entries are read: 0 is the control (type cf) or the single forecast (fc)."""
        return 0

    @property
    def message_member(self) -> int | None:
        """The ensemble number the message must carry; None for a single forecast, which carries none."""
        return None

    def get_url(self) -> str:
        return join_url(self.base_url, self.relative_stem() + ".grib2")

    def index_url(self) -> str:
        return join_url(self.base_url, self.relative_stem() + ".index")

    def out_loc(self) -> Mapping[str, Any]:
        return {"init_time": self.init_time, "lead_time": self.lead_time}

    def local_name(self) -> str:
        digest = hashlib.sha256("|".join(str(f) for f in self.fields).encode()).hexdigest()[:12]
        return f"{self.relative_stem().replace('/', '_')}.m{self.index_member}.{digest}.grib2"


def field_range(entries: Sequence[EcmwfIndexEntry], key: IndexKey, member: int) -> ByteRange | SourceFault:
    try:
        return select_ecmwf_entry(entries, key.param, None, member, key.levtype, key.levelist).byte_range
    except (SourceNotFoundError, SourceReadError) as e:
        return SourceFault.of(e)


class EcmwfRegionJob[SFC: EcmwfSourceFileCoord](RegionJob[EcmwfDataVar, SFC]):
    """A forecast region job over ECMWF open-data files. Subclasses set `grid` and say which coords an (init, lead)
    has (`coords_at`: one per ensemble member, or one)."""

    default_source_url: ClassVar[str] = S3_BASE_URL
    grid: ClassVar[GridSpec] = GridSpec.global_latitude_longitude(0.25, first_longitude=180.0)
    # ECMWF asks for at most about 8 parallel connections; each download makes one request at a time.
    download_parallelism: ClassVar[int] = 8
    max_vars_per_group: ClassVar[int]

    _indexes: SharedReads[list[EcmwfIndexEntry]] = PrivateAttr(default_factory=SharedReads)

    @classmethod
    def source_groups(cls, data_vars: Sequence[EcmwfDataVar]) -> Sequence[Sequence[EcmwfDataVar]]:
        """Variables with the same availability, at most max_vars_per_group at a time."""
        return group_variables(
            data_vars,
            lambda v: (v.internal_attrs.available_from, v.internal_attrs.has_hour_0_values),
            cls.max_vars_per_group,
        )

    @abstractmethod
    def coords_at(
        self, init_time: pd.Timestamp, lead_time: pd.Timedelta, fields: tuple[IndexKey, ...], processing_ds: xr.Dataset
    ) -> list[SFC]:
        """The coords of one (init, lead) whose file has `fields` (never empty)."""

    def generate_source_file_coords(
        self, processing_region_ds: xr.Dataset, data_var_group: Sequence[EcmwfDataVar]
    ) -> Sequence[SFC]:
        """The coords of every (init, lead) that has any of the group's fields, in order."""
        assert self.source_url is not None, "source_url must be resolved (DynamicalDataset.source_url) for a job"
        coords = []
        for init_time, lead_time in itertools.product(
            pd.DatetimeIndex(processing_region_ds["init_time"].values),
            pd.TimedeltaIndex(processing_region_ds["lead_time"].values),
        ):
            fields = tuple(
                index_key(v, lead_time) for v in data_var_group if v.internal_attrs.available(init_time, lead_time)
            )
            if fields:
                coords.extend(self.coords_at(init_time, lead_time, fields, processing_region_ds))
        return coords

    def index_entries(self, url: str) -> list[EcmwfIndexEntry]:
        """The `.index` entries of the job's parameters, fetched once per job (a lead's members share them);
        a missing or unreadable index is remembered too."""
        params = {
            override
            for v in self.data_vars
            for override in (v.internal_attrs.index_param, *(o.param for o in v.internal_attrs.index_param_overrides))
        }
        return self._indexes.get(
            url, lambda: [e for e in parse_ecmwf_index(fetch_bytes(url).decode()) if e.param in params]
        )

    def download_file(self, coord: SFC) -> SFC:
        """The coord's fields, one request at a time (ranges that follow each other fetched together), so a
        download holds at most one connection; a field the index lacks is recorded as not found."""
        entries = self.index_entries(coord.index_url())
        ranges = [field_range(entries, key, coord.index_member) for key in coord.fields]
        dest = cache_dir(str(self.template_ds.attrs["dataset_id"])) / coord.local_name()
        return download_fields(coord, dest, ranges, coalesce_bytes=0, one_request_at_a_time=True)

    def read_data(self, coord: SFC, data_var: EcmwfDataVar) -> np.ndarray:
        key = index_key(data_var, coord.lead_time)
        if key not in coord.fields:
            return np.full((self.grid.nj, self.grid.ni), np.nan, dtype=np.float32)
        message = message_at_start(coord.field_bytes(coord.fields.index(key)))
        values = decode_message(message, self.grid, ExpectedField(ensemble_member=coord.message_member))
        # Before a units change the source's values are scaled here, per message: a region may straddle it.
        scale = data_var.internal_attrs.source_scale_at(coord.init_time)
        if scale is not None:
            values *= np.float32(scale)
        return values
