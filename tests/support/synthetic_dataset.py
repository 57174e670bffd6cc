"""A tiny dataset over a local folder of .npz files: fast, controllable subject for framework tests."""

import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.config_models import (
    APPEND_DIM_COORDINATE_CHUNK_SIZE,
    BLOSC_4BYTE_ZSTD_LEVEL3_SHUFFLE,
    BaseInternalAttrs,
    Coordinate,
    CoordinateAttrs,
    DatasetAttributes,
    DataVar,
    DataVarAttrs,
    Encoding,
)
from datasets.common.dynamical_dataset import DynamicalDataset, OperationalConfig
from datasets.common.errors import SourceNotFoundError, SourceReadError
from datasets.common.region_job import RegionJob, SourceFileCoord
from datasets.common.template_config import CoordinateValues, TemplateConfig
from datasets.common.timestamps import timedelta, timestamp

START = timestamp("2024-01-01T00:00")
FREQUENCY = timedelta("6h")
HOUR = timedelta("1h")
LEAD_TIMES = pd.to_timedelta([0, 3, 6], unit="h")
LATITUDES = np.array([60.0, 20.0, -20.0, -60.0])
LONGITUDES = np.arange(-180.0, 180.0, 45.0)


class SyntheticInternalAttrs(BaseInternalAttrs):
    offset: float


type SyntheticDataVar = DataVar[SyntheticInternalAttrs]


def _data_var(name: str, standard_name: str, units: str, offset: float) -> SyntheticDataVar:
    return DataVar(
        name=name,
        encoding=Encoding(
            dtype="float32",
            chunks=(1, 3, 2, 4),
            shards=(2, 3, 4, 8),
            fill_value=float("nan"),
            compressors=(BLOSC_4BYTE_ZSTD_LEVEL3_SHUFFLE,),
        ),
        attrs=DataVarAttrs(
            long_name=name.replace("_", " "),
            short_name=name[:4],
            standard_name=standard_name,
            units=units,
            step_type="instant",
        ),
        internal_attrs=SyntheticInternalAttrs(keep_mantissa_bits=7, offset=offset),
    )


DATA_VARS = (
    _data_var("temperature_2m", "air_temperature", "degree_Celsius", 10.0),
    _data_var("wind_u_10m", "eastward_wind", "m s-1", -3.0),
)


def expected_value(var: str, init_time: pd.Timestamp, lead_time: pd.Timedelta) -> np.ndarray:
    offset = next(v.internal_attrs.offset for v in DATA_VARS if v.name == var)
    hours = (init_time - START).total_seconds() / 3600 + lead_time.total_seconds() / 3600
    lat, lon = np.meshgrid(LATITUDES, LONGITUDES, indexing="ij")
    return (offset + 0.1 * hours + lat / 100 + lon / 1000).astype(np.float32)


class SyntheticTemplateConfig(TemplateConfig[SyntheticDataVar]):
    dims: tuple[str, ...] = ("init_time", "lead_time", "latitude", "longitude")
    append_dim: str = "init_time"
    append_dim_start: pd.Timestamp = START
    append_dim_frequency: pd.Timedelta = FREQUENCY
    template_dir: Path

    def template_path(self) -> Path:
        return self.template_dir / "latest.zarr"

    @property
    def dataset_attributes(self) -> DatasetAttributes:
        return DatasetAttributes(
            dataset_id="synthetic-forecast",
            dataset_version="0.1.0",
            name="Synthetic forecast",
            description="A tiny synthetic forecast for framework tests.",
            attribution="Test data.",
            spatial_domain="Global",
            spatial_resolution="45 degrees",
            time_domain=f"Forecasts initialized {START.isoformat()} UTC to present",
            time_resolution="Forecasts initialized every 6 hours",
            forecast_domain="Forecast lead time 0-6 hours ahead",
            forecast_resolution="3 hourly",
        )

    def dimension_coordinates(self) -> dict[str, Any]:
        return {
            "init_time": self.append_dim_coordinates(START + FREQUENCY),
            "lead_time": LEAD_TIMES,
            "latitude": LATITUDES,
            "longitude": LONGITUDES,
        }

    def derive_coordinates(self, ds: xr.Dataset) -> dict[str, CoordinateValues]:
        return {"valid_time": ds["init_time"] + ds["lead_time"]}

    @property
    def coords(self) -> Sequence[Coordinate]:
        seconds = Encoding(dtype="int64", chunks=(3,), fill_value=0, units="seconds")
        return [
            Coordinate(
                name="init_time",
                encoding=Encoding(
                    dtype="int64",
                    chunks=(APPEND_DIM_COORDINATE_CHUNK_SIZE,),
                    fill_value=0,
                    units="seconds since 1970-01-01",
                    calendar="proleptic_gregorian",
                ),
                attrs=CoordinateAttrs(standard_name="forecast_reference_time"),
            ),
            Coordinate(name="lead_time", encoding=seconds, attrs=CoordinateAttrs(standard_name="forecast_period")),
            Coordinate(
                name="latitude",
                encoding=Encoding(dtype="float64", chunks=(4,), fill_value=float("nan")),
                attrs=CoordinateAttrs(units="degree_north", standard_name="latitude"),
            ),
            Coordinate(
                name="longitude",
                encoding=Encoding(dtype="float64", chunks=(8,), fill_value=float("nan")),
                attrs=CoordinateAttrs(units="degree_east", standard_name="longitude"),
            ),
            Coordinate(
                name="valid_time",
                encoding=Encoding(
                    dtype="int64",
                    chunks=(APPEND_DIM_COORDINATE_CHUNK_SIZE, 3),
                    fill_value=0,
                    units="seconds since 1970-01-01",
                    calendar="proleptic_gregorian",
                ),
                attrs=CoordinateAttrs(standard_name="time"),
            ),
        ]

    @property
    def data_vars(self) -> Sequence[SyntheticDataVar]:
        return DATA_VARS


class SyntheticSourceFileCoord(SourceFileCoord):
    base: str
    init_time: pd.Timestamp
    lead_time: pd.Timedelta

    def get_url(self) -> str:
        return f"{self.base}/{self.init_time:%Y%m%d%H}/f{int(self.lead_time.total_seconds() // 3600):03d}.npz"

    def out_loc(self) -> dict[str, Any]:
        return {"init_time": self.init_time, "lead_time": self.lead_time}


class SyntheticRegionJob(RegionJob[SyntheticDataVar, SyntheticSourceFileCoord]):
    def generate_source_file_coords(
        self, processing_region_ds: xr.Dataset, data_var_group: Sequence[SyntheticDataVar]
    ) -> Sequence[SyntheticSourceFileCoord]:
        assert self.source_url is not None
        return [
            SyntheticSourceFileCoord(base=self.source_url, init_time=init_time, lead_time=lead_time)
            for init_time in pd.DatetimeIndex(processing_region_ds["init_time"].values)
            for lead_time in pd.TimedeltaIndex(processing_region_ds["lead_time"].values)
        ]

    def download_file(self, coord: SyntheticSourceFileCoord) -> SyntheticSourceFileCoord:
        source = Path(coord.get_url())
        if not source.exists() or source.stat().st_size == 0:
            raise SourceNotFoundError(f"not found: {coord.get_url()}")
        local = Path(tempfile.mkdtemp(prefix="synthetic-")) / source.name
        shutil.copyfile(source, local)
        return coord.downloaded(local)

    def read_data(self, coord: SyntheticSourceFileCoord, data_var: SyntheticDataVar) -> np.ndarray:
        assert coord.downloaded_path is not None
        try:
            with np.load(coord.downloaded_path) as npz:
                return npz[data_var.name]
        except (ValueError, OSError, KeyError) as e:
            raise SourceReadError(f"cannot read {data_var.name} from {coord.get_url()}: {e}") from e


def write_source_archive(
    root: Path, init_times: Iterable[pd.Timestamp], missing: Sequence[tuple[pd.Timestamp, pd.Timedelta]] = ()
) -> None:
    for init_time in init_times:
        for lead_time in LEAD_TIMES:
            if (init_time, lead_time) in missing:
                continue
            coord = SyntheticSourceFileCoord(base=str(root), init_time=init_time, lead_time=lead_time)
            path = Path(coord.get_url())
            path.parent.mkdir(parents=True, exist_ok=True)
            arrays = {v.name: expected_value(v.name, init_time, lead_time) for v in DATA_VARS}
            with path.open("wb") as f:
                np.savez(f, allow_pickle=False, **arrays)


def synthetic_dataset(
    template_dir: Path, source_dir: Path
) -> DynamicalDataset[SyntheticDataVar, SyntheticSourceFileCoord]:
    return DynamicalDataset(
        template_config=SyntheticTemplateConfig(template_dir=template_dir),
        region_job_class=SyntheticRegionJob,
        operational=OperationalConfig(
            update_schedule="0 */6 * * *",
            validate_schedule="30 */6 * * *",
            update_workers=2,
            cpu="1",
            memory="1G",
            ephemeral_storage="1G",
            update_deadline_seconds=600,
        ),
        source_base_url=str(source_dir),
    )
