import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.errors import SourceNotFoundError, SourceReadError
from datasets.common.region_job import RegionJob, SourceFileCoord
from datasets.common.results import VariableResult
from datasets.common.sources.fetch import cache_dir, join_url
from datasets.common.sources.grib import ExpectedField, GridSpec, decode_message
from datasets.common.sources.noaa_idx import forecast_text
from datasets.common.timestamps import timedelta, timestamp
from datasets.common.transforms.deaccumulation import deaccumulate_to_rates_inplace
from datasets.common.transforms.rounding import round_for_storage
from datasets.common.transforms.units import kelvin_to_celsius_inplace
from datasets.noaa.gfs.forecast.template_config import GfsDataVar
from datasets.noaa.idx_download import FieldText, download_messages, read_message

S3_BASE_URL = "https://noaa-gfs-bdp-pds.s3.amazonaws.com"
NOMADS_BASE_URL = "https://nomads.ncep.noaa.gov/pub/data/nccf/com/gfs/prod"
# Files this recent may not have reached the S3 bucket yet; NOMADS has them.
NOMADS_FALLBACK_AGE = timedelta("12h")
DEACCUMULATION_INVALID = "deaccumulation_invalid_values"
DATASET_ID = "noaa-gfs-forecast"


def utc_now() -> pd.Timestamp:
    return timestamp(pd.Timestamp.now(tz="UTC").tz_localize(None))


class GfsSourceFileCoord(SourceFileCoord):
    init_time: pd.Timestamp
    lead_time: pd.Timedelta
    data_vars: tuple[GfsDataVar, ...]
    base_url: str
    fallback_base_url: str | None = None

    def relative_path(self) -> str:
        hours = int(self.lead_time / timedelta("1h"))
        init = self.init_time
        return f"gfs.{init:%Y%m%d}/{init:%H}/atmos/gfs.t{init:%H}z.pgrb2.0p25.f{hours:03d}"

    def get_url(self) -> str:
        return join_url(self.base_url, self.relative_path())

    def fallback_url(self) -> str | None:
        return None if self.fallback_base_url is None else join_url(self.fallback_base_url, self.relative_path())

    def out_loc(self) -> Mapping[str, Any]:
        return {"init_time": self.init_time, "lead_time": self.lead_time}

    def field_text(self, data_var: GfsDataVar) -> FieldText:
        attrs = data_var.internal_attrs
        forecast = forecast_text(self.lead_time, attrs.window_kind, attrs.window_reset_hours)
        return (attrs.grib_element, attrs.grib_index_level, forecast)

    def expected_field(self, data_var: GfsDataVar) -> ExpectedField:
        element, level, forecast = self.field_text(data_var)
        return ExpectedField(element=element, level=level, forecast=forecast)


def source_grid(latitudes: np.ndarray, longitudes: np.ndarray) -> GridSpec:
    """The NCEP source grid (0 to 360 east) behind a template grid that runs -180 to 180."""
    resolution = float(longitudes[1] - longitudes[0])
    expected_longitudes = -180 + resolution * np.arange(longitudes.size)
    assert np.allclose(longitudes, expected_longitudes), "template longitudes must run -180 to 180 evenly"
    return GridSpec(
        grid_type="regular_ll",
        ni=longitudes.size,
        nj=latitudes.size,
        first_latitude=float(latitudes[0]),
        first_longitude=0.0,
        last_latitude=float(latitudes[-1]),
        last_longitude=360.0 - resolution,
    )


class NoaaGfsForecastRegionJob(RegionJob[GfsDataVar, GfsSourceFileCoord]):
    default_source_url: ClassVar[str] = S3_BASE_URL
    recent_fallback_url: ClassVar[str] = NOMADS_BASE_URL

    @classmethod
    def source_groups(cls, data_vars: Sequence[GfsDataVar]) -> Sequence[Sequence[GfsDataVar]]:
        """Instant variables are in every file; windowed ones have no message at lead 0."""
        instant = [v for v in data_vars if v.internal_attrs.has_hour_0_values]
        windowed = [v for v in data_vars if not v.internal_attrs.has_hour_0_values]
        return [group for group in (instant, windowed) if group]

    def base_urls(self, init_time: pd.Timestamp, now: pd.Timestamp) -> tuple[str, str | None]:
        """An overridden source serves everything; the default bucket falls back to NOMADS for recent inits."""
        base = (self.source_url or self.default_source_url).rstrip("/")
        if base != self.default_source_url or now - init_time >= NOMADS_FALLBACK_AGE:
            return base, None
        return base, self.recent_fallback_url

    def generate_source_file_coords(
        self, processing_region_ds: xr.Dataset, data_var_group: Sequence[GfsDataVar]
    ) -> Sequence[GfsSourceFileCoord]:
        has_hour_0 = {v.internal_attrs.has_hour_0_values for v in data_var_group}
        assert len(has_hour_0) == 1, "a group mixes instant and windowed variables"
        skip_lead_0 = not has_hour_0.pop()
        now = utc_now()
        coords = []
        for init_time in pd.DatetimeIndex(processing_region_ds["init_time"].values):
            base_url, fallback = self.base_urls(init_time, now)
            for lead_time in pd.TimedeltaIndex(processing_region_ds["lead_time"].values):
                if skip_lead_0 and lead_time == timedelta(0):
                    continue
                coords.append(
                    GfsSourceFileCoord(
                        init_time=timestamp(init_time),
                        lead_time=lead_time,
                        data_vars=tuple(data_var_group),
                        base_url=base_url,
                        fallback_base_url=fallback,
                    )
                )
        return coords

    def download_file(self, coord: GfsSourceFileCoord) -> Path:
        group = zlib.crc32(" ".join(v.name for v in coord.data_vars).encode())
        dest = cache_dir(DATASET_ID) / f"{coord.relative_path()}.{group:08x}"
        fields = [coord.field_text(v) for v in coord.data_vars]
        try:
            return download_messages(coord.get_url(), fields, dest, coord.init_time)
        except SourceNotFoundError:
            fallback = coord.fallback_url()
            if fallback is None:
                raise
            return download_messages(fallback, fields, dest, coord.init_time)

    def read_data(self, coord: GfsSourceFileCoord, data_var: GfsDataVar) -> np.ndarray:
        assert coord.downloaded_path is not None
        index = coord.data_vars.index(data_var)
        message = read_message(coord.downloaded_path, index)
        field = coord.expected_field(data_var)
        if message is None:
            raise SourceReadError(f"no {field} message in {coord.get_url()}.idx")
        grid = source_grid(self.template_ds["latitude"].values, self.template_ds["longitude"].values)
        return decode_message(message, grid, field, roll_longitude=True)

    def apply_data_transformations(self, data_array: xr.DataArray, data_var: GfsDataVar) -> Mapping[str, int]:
        attrs = data_var.internal_attrs
        values = data_array.values
        counters = {}
        if attrs.unit_conversion == "kelvin_to_celsius":
            kelvin_to_celsius_inplace(values)
        if attrs.deaccumulate_to_rate:
            assert attrs.window_reset_hours is not None
            counters[DEACCUMULATION_INVALID] = deaccumulate_to_rates_inplace(
                values,
                data_array["lead_time"].values,
                np.timedelta64(attrs.window_reset_hours, "h"),
                axis=data_array.get_axis_num("lead_time"),
            )
        round_for_storage(values, attrs)
        return counters

    @classmethod
    def update_template_with_results(
        cls, template_ds: xr.Dataset, results: Mapping[str, VariableResult], append_dim: str
    ) -> xr.Dataset:
        ds = super().update_template_with_results(template_ds, results, append_dim)
        longest: dict[pd.Timestamp, int] = {}
        for result in results.values():
            for init_time, maxima in result.coverage.items():
                if "lead_time" in maxima:
                    key = timestamp(init_time)
                    longest[key] = max(longest.get(key, 0), int(maxima["lead_time"]))
        ingested = ds["ingested_forecast_length"].values.copy()
        for i, init_time in enumerate(pd.DatetimeIndex(ds[append_dim].values)):
            if init_time in longest:
                ingested[i] = np.timedelta64(longest[timestamp(init_time)], "s")
        ds["ingested_forecast_length"] = ds["ingested_forecast_length"].copy(data=ingested)
        return ds
