"""The dataset's structure. A TemplateConfig is mostly data: a table of variables plus coordinates."""

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.config_models import (
    Coordinate,
    DatasetAttributes,
    DataVar,
    DataVarAttrs,
    float32_encoding,
)
from datasets.common.forecast_coordinates import (
    derive_forecast_coordinates,
    latitude_longitude_forecast_coordinates,
    sphere_spatial_ref_coordinate,
)
from datasets.common.template_config import CoordinateValues, TemplateConfig
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.noaa_region_job import NoaaInternalAttrs

LEAD_TIMES = pd.timedelta_range("0h", "12h", freq="3h", name="lead_time")
FORECAST_LENGTH = LEAD_TIMES[-1]


class ExampleInternalAttrs(NoaaInternalAttrs):
    """Source-specific facts about a variable that never reach the output metadata.

    NoaaInternalAttrs already carries the `.idx` identity (grib_element, grib_index_level, window_kind,
    window_reset_hours) and keep_mantissa_bits. Add what *your* transforms need; here, a unit conversion.
    """


type ExampleDataVar = DataVar[ExampleInternalAttrs]

# Chunks: one init per shard (a region job writes whole shards, so shards along the append dim decide
# how work is split). Within a shard, spatial chunks let readers fetch a region without the whole globe.
# Real datasets aim for compressed chunks of 2.5-6 MB and shards of 100-600 MB; this one is tiny.
CHUNKS = (1, len(LEAD_TIMES), 37, 72)
SHARDS = (1, len(LEAD_TIMES), 74, 144)  # shards are whole multiples of chunks and may overhang the array


def _data_var(name: str, attrs: DataVarAttrs, internal_attrs: ExampleInternalAttrs) -> ExampleDataVar:
    return DataVar(
        name=name,
        # float32, NaN marking "no data" (missing source file, lead 0 of a window, ...), blosc zstd
        encoding=float32_encoding(CHUNKS, SHARDS),
        attrs=attrs,
        internal_attrs=internal_attrs,
    )


# The variable table. Names combine quantity and level; attrs follow CF (standard_name/units) and ECMWF
# (long_name/short_name); internal attrs say where each variable is in the source `.idx` and how to treat it.
EXAMPLE_DATA_VARS: tuple[ExampleDataVar, ...] = (
    _data_var(
        "temperature_2m",
        DataVarAttrs(
            long_name="2 metre temperature",
            short_name="2t",
            units="degree_Celsius",
            step_type="instant",
            standard_name="air_temperature",
        ),
        ExampleInternalAttrs(
            grib_element="TMP",
            grib_index_level="2 m above ground",
            keep_mantissa_bits=7,
            unit_conversion="kelvin_to_celsius",
        ),
    ),
    _data_var(
        "wind_u_10m",
        DataVarAttrs(
            long_name="10 metre U wind component",
            short_name="10u",
            units="m s-1",
            step_type="instant",
            standard_name="eastward_wind",
        ),
        ExampleInternalAttrs(grib_element="UGRD", grib_index_level="10 m above ground", keep_mantissa_bits=6),
    ),
    _data_var(
        "maximum_temperature_2m",
        DataVarAttrs(
            long_name="Maximum temperature",
            short_name="tmax",
            units="degree_Celsius",
            step_type="max",
            standard_name="air_temperature",
            comment="Maximum over the window that ends at the valid time and starts at the previous 6-hourly "
            "reset. No value at lead time 0.",
        ),
        # A windowed field: the `.idx` names it by its window ("6-9 hour max fcst"), which resets every 6 h.
        # Windowed fields have no value at lead 0, so those stay NaN without a download.
        ExampleInternalAttrs(
            grib_element="TMAX",
            grib_index_level="2 m above ground",
            window_kind="max",
            window_reset_hours=6,
            keep_mantissa_bits=7,
            unit_conversion="kelvin_to_celsius",
        ),
    ),
)


class ExampleTemplateConfig(TemplateConfig[ExampleDataVar]):
    # The append dim comes first and grows over time; every other dim is fixed.
    dims: tuple[str, ...] = ("init_time", "lead_time", "latitude", "longitude")
    append_dim: str = "init_time"
    append_dim_start: pd.Timestamp = timestamp("2024-01-01T00:00")
    append_dim_frequency: pd.Timedelta = timedelta("6h")

    @property
    def dataset_attributes(self) -> DatasetAttributes:
        return DatasetAttributes(
            dataset_id="example-gfs-coarse-forecast",
            dataset_version="0.1.0",
            name="Example coarse GFS-like forecast",
            description="A small example forecast read from a GFS-layout archive on a 2.5 degree grid.",
            attribution="Example data in the layout of NOAA NWS NCEP GFS files.",
            spatial_domain="Global",
            spatial_resolution="2.5 degrees",
            time_domain=f"Forecasts initialized {self.append_dim_start.isoformat()} UTC to present",
            time_resolution="Forecasts initialized every 6 hours",
            forecast_domain="Forecast lead time 0-12 hours ahead",
            forecast_resolution="3 hourly",
        )

    def dimension_coordinates(self) -> dict[str, Any]:
        """Values of every dimension. The append dim holds only its first value: `get_template(end)`
        extends it from the checked-in template, so the template never needs regenerating as time passes."""
        return {
            "init_time": self.first_append_dim_coordinate(),
            "lead_time": LEAD_TIMES,
            "latitude": np.linspace(90, -90, 73),  # north to south, as the source rows
            "longitude": np.arange(-180, 180, 2.5),  # the source runs 0..357.5; the region job rolls it
        }

    def derive_coordinates(self, ds: xr.Dataset) -> dict[str, CoordinateValues]:
        """Non-dimension coordinates computed from the dimension coordinates: valid_time, the expected
        forecast length, the ingested forecast length (NaT here; the region job's
        `update_template_with_results` fills in the longest lead written) and spatial_ref."""
        return derive_forecast_coordinates(ds, FORECAST_LENGTH)

    @property
    def coords(self) -> Sequence[Coordinate]:
        """Encoding and attributes of every coordinate (dimension and derived). Forecast datasets share
        these; `datasets/common/forecast_coordinates.py` builds them."""
        return latitude_longitude_forecast_coordinates(self.dimension_coordinates(), sphere_spatial_ref_coordinate())

    @property
    def data_vars(self) -> Sequence[ExampleDataVar]:
        return EXAMPLE_DATA_VARS
