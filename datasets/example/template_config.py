"""What the dataset is: dimensions, coordinates, variables, encodings and attributes. A TemplateConfig is mostly
data: a layout from datasets/common/template_layouts.py and a table of variables; the dataset's attributes are in
dataset.toml beside it.

After any change run `uv run main example-gfs-coarse-forecast update-template` and commit templates/latest.zarr:
every run builds its template from that checked-in copy, so a change of structure is a reviewable JSON diff.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd

from datasets.common.config_models import DataVar, float32_encoding
from datasets.common.template_layouts import ForecastTemplateConfig
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.noaa_variables import NoaaInternalAttrs, NoaaVariables

type ExampleDataVar = DataVar[NoaaInternalAttrs]

LEAD_TIMES = pd.timedelta_range("0h", "12h", freq="3h", name="lead_time")

# What the variables share. Chunks: one init time per shard (a region job writes whole shards, so the shards along
# the append dim decide how work is split); within a shard, spatial chunks let readers fetch a region without the
# whole globe. Real datasets aim for compressed chunks of 2.5-6 MB and shards of 100-600 MB (`main DATASET-ID info`
# prints the raw sizes); shards are whole multiples of chunks and may overhang the array. GFS restarts its
# accumulation, average, minimum and maximum windows every 6 h (the `.idx` names a window "6-9 hour max fcst").
VARIABLES = NoaaVariables(
    encoding=float32_encoding((1, len(LEAD_TIMES), 37, 72), (1, len(LEAD_TIMES), 74, 144)),
    window_reset_hours=6,
)

# The variable table. Names combine quantity and level; attributes follow CF (standard_name, units) and ECMWF
# (long_name, short_name); `element` and `level` are the field's `.idx` identity (`main inspect-grib` shows them).
# The transform chain (datasets/common/transforms/chain.py) follows from the declaration: `unit_conversion`, an
# accumulation (`window="acc"`) stored as a rate, rounding to `keep_mantissa_bits` (default 7). A windowed field has
# no value at lead time 0: that stays NaN without a download.
DATA_VARS: tuple[ExampleDataVar, ...] = (
    VARIABLES.var(name="temperature_2m", long_name="2 metre temperature", short_name="2t", units="degree_Celsius",
                  standard_name="air_temperature", element="TMP", level="2 m above ground",
                  unit_conversion="kelvin_to_celsius"),
    VARIABLES.var(name="wind_u_10m", long_name="10 metre U wind component", short_name="10u", units="m s-1",
                  standard_name="eastward_wind", element="UGRD", level="10 m above ground", keep_mantissa_bits=6),
    VARIABLES.var(name="maximum_temperature_2m", long_name="Maximum temperature", short_name="tmax",
                  units="degree_Celsius", standard_name="air_temperature",
                  comment="Maximum over the window that ends at the valid time and starts at the previous 6-hourly "
                  "reset. No value at lead time 0.",
                  element="TMAX", level="2 m above ground", window="max", unit_conversion="kelvin_to_celsius"),
)  # fmt: skip


class ExampleTemplateConfig(ForecastTemplateConfig[ExampleDataVar]):
    # The layout's dims are ("init_time", "lead_time", "latitude", "longitude"); the append dim, init_time, comes
    # first and grows over time. Its checked-in template holds only the first init time: `get_template(end)`
    # extends it, so the template never needs regenerating as time passes.
    append_dim_start: pd.Timestamp = timestamp("2024-01-01T00:00")  # the archive's first init time
    append_dim_frequency: pd.Timedelta = timedelta("6h")
    forecast_length: pd.Timedelta = LEAD_TIMES[-1]  # every init's expected_forecast_length

    def lead_times(self) -> pd.TimedeltaIndex:
        return LEAD_TIMES

    def latitudes(self) -> np.ndarray:
        return np.linspace(90, -90, 73)  # north to south, as the source rows

    def longitudes(self) -> np.ndarray:
        return np.arange(-180, 180, 2.5)  # the source runs 0..357.5; the region job rolls it

    @property
    def data_vars(self) -> Sequence[ExampleDataVar]:
        return DATA_VARS
