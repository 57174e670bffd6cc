"""What DWD open-data NWP datasets share: one bz2-compressed GRIB2 file per variable, level and lead time, no
index, and files kept online for only about a day (each run is replaced by the same hour's run of the next day).

Files are downloaded whole (they are small) and decompressed in memory at read time: no decompressed copy
touches the disk. Lead times are DWD's output steps: the template's lead_time coordinate lists every one.
"""

import logging
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, cast

import eccodes
import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.errors import SourceReadError
from datasets.common.region_job import RegionJob
from datasets.common.source_file import SourceFileCoord
from datasets.common.sources.compression import decompress_bz2_file
from datasets.common.sources.fetch import cache_dir, download_to_file, join_url
from datasets.common.sources.grib import ExpectedField, GridSpec, decode_message
from datasets.common.timestamps import timedelta
from datasets.dwd.dwd_variables import DwdDataVar

logger = logging.getLogger(__name__)


class DwdSourceFileCoord(SourceFileCoord):
    """One DWD file: a single GRIB message of one variable at one lead time."""

    base_url: str
    init_time: pd.Timestamp
    lead_time: pd.Timedelta
    dwd_param: str
    field: ExpectedField

    @abstractmethod
    def relative_path(self) -> str:
        """The file's path below the archive root."""

    def get_url(self) -> str:
        return join_url(self.base_url, self.relative_path())

    def out_loc(self) -> Mapping[str, Any]:
        return {"init_time": self.init_time, "lead_time": self.lead_time}

    @property
    def hours(self) -> int:
        return int(self.lead_time / timedelta("1h"))


def check_parameter(message: bytes, parameter: tuple[int, int, int], init_time: pd.Timestamp) -> None:
    """Raise SourceReadError unless the message holds `parameter` of the run initialized at `init_time`."""
    handle = eccodes.codes_new_from_message(message)
    try:
        actual = tuple(
            eccodes.codes_get_long(handle, k) for k in ("discipline", "parameterCategory", "parameterNumber")
        )
        date, time = (eccodes.codes_get_long(handle, k) for k in ("dataDate", "dataTime"))
    finally:
        eccodes.codes_release(handle)
    problems = []
    if actual != parameter:
        problems.append(f"parameter {actual} != expected {parameter}")
    if (date, time) != (int(f"{init_time:%Y%m%d}"), int(f"{init_time:%H%M}")):
        problems.append(f"reference time {date} {time:04d} != expected {init_time:%Y%m%d %H%M}")
    if problems:
        raise SourceReadError(f"wrong field: {'; '.join(problems)}")


class DwdRegionJob[SFC: DwdSourceFileCoord](RegionJob[DwdDataVar, SFC]):
    """A forecast region job over (init_time, lead_time) DWD files. Every variable has its own files, so each
    is its own source group (and its own job). Subclasses set the file coord class, grid and default URL."""

    source_file_coord_class: ClassVar[type[DwdSourceFileCoord]]
    grid: ClassVar[GridSpec]
    # DWD serves a run until the same hour's run of the next day replaces it (from about 24 h after init).
    source_retention: ClassVar[pd.Timedelta] = timedelta("24h")

    @classmethod
    def source_groups(cls, data_vars: Sequence[DwdDataVar]) -> Sequence[Sequence[DwdDataVar]]:
        return [[v] for v in data_vars]

    def generate_source_file_coords(
        self, processing_region_ds: xr.Dataset, data_var_group: Sequence[DwdDataVar]
    ) -> Sequence[SFC]:
        """One file per init and lead up to the init's expected forecast length (lead 0 only for instant fields)."""
        assert self.source_url is not None, "source_url must be resolved (DynamicalDataset.source_url) for a job"
        (data_var,) = data_var_group
        attrs = data_var.internal_attrs
        leads = pd.TimedeltaIndex(processing_region_ds["lead_time"].values)
        coords = []
        for init_time, forecast_length in zip(
            pd.DatetimeIndex(processing_region_ds["init_time"].values),
            pd.TimedeltaIndex(processing_region_ds["expected_forecast_length"].values),
            strict=True,
        ):
            for i, lead_time in enumerate(leads):
                if lead_time > forecast_length or (lead_time == timedelta(0) and not attrs.has_hour_0_values):
                    continue
                coord = self.source_file_coord_class(
                    base_url=self.source_url,
                    init_time=init_time,
                    lead_time=lead_time,
                    dwd_param=attrs.dwd_param,
                    field=attrs.expected_field(lead_time, leads[i - 1] if i else None),
                )
                coords.append(cast("SFC", coord))
        return coords

    def download_file(self, coord: SFC) -> SFC:
        """The whole compressed file; it is decompressed in memory by read_data."""
        dest = cache_dir(str(self.template_ds.attrs["dataset_id"])) / coord.relative_path().replace("/", "_")
        return coord.downloaded(download_to_file(coord.get_url(), dest))

    def read_data(self, coord: SFC, data_var: DwdDataVar) -> np.ndarray:
        assert coord.downloaded_path is not None, "read_data runs after a successful download"
        message = decompress_bz2_file(coord.downloaded_path)
        values = decode_message(message, self.grid, coord.field)
        check_parameter(message, data_var.internal_attrs.grib_parameter, coord.init_time)
        return values

    @classmethod
    def serves_only_recent_runs(cls, source_url: str | None) -> bool:
        """True for DWD's own server; a mirror given as the source URL keeps whatever it archived."""
        return (source_url or cls.default_source_url).rstrip("/") == cls.default_source_url.rstrip("/")

    @classmethod
    def update_positions(
        cls,
        published_ds: xr.Dataset,
        template_ds: xr.Dataset,
        append_dim: str,
        now: pd.Timestamp,
        source_url: str | None,
    ) -> pd.DatetimeIndex:
        """New inits, and published ones that may still gain files, while they are online.

        Published inits younger than the retention are reprocessed if they are the latest or incomplete
        (ingested < expected forecast length), so files that appeared late are picked up. New inits are
        processed if DWD still serves them (always, for a mirror); older ones stay empty and are reported.
        """
        published = pd.DatetimeIndex(published_ds[append_dim].values)
        complete = published_ds["ingested_forecast_length"].values >= published_ds["expected_forecast_length"].values
        incomplete = set(published[~complete])
        oldest_online = now - cls.source_retention
        dwd_only = cls.serves_only_recent_runs(source_url)
        wanted, gone = [], []
        for init_time in pd.DatetimeIndex(template_ds[append_dim].values):
            online = init_time >= oldest_online
            if init_time <= published[-1]:
                if online and (init_time == published[-1] or init_time in incomplete):
                    wanted.append(init_time)
            elif online or not dwd_only:
                wanted.append(init_time)
            else:
                gone.append(init_time)
        if gone:
            logger.warning(
                "%d init times from %s to %s are older than %s and no longer on DWD's server: they stay empty. "
                "To fill them, process an archive of DWD's files with --source-url.",
                len(gone),
                gone[0].isoformat(),
                gone[-1].isoformat(),
                cls.source_retention,
            )
        return pd.DatetimeIndex(wanted)
