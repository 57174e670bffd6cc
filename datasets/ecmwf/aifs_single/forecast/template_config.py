from collections.abc import Sequence

import pandas as pd

from datasets.common.config_models import float32_encoding
from datasets.common.template_layouts import ForecastTemplateConfig
from datasets.common.timestamps import timedelta, timestamp
from datasets.ecmwf.ecmwf_grid import EcmwfQuarterDegreeGrid
from datasets.ecmwf.ecmwf_parameters import RUNNING_TOTAL_COMMENT
from datasets.ecmwf.ecmwf_variables import EcmwfDataVar, EcmwfVariables, SourceScale

# The first init of the `aifs-single` files (AIFS Single v1, at first under experimental/): from it on the files
# hold 100 m wind, radiation and cloud cover, and total precipitation in kg m-2 instead of metres.
AIFS_SINGLE_FROM = timestamp("2025-02-24T06:00")
ADDED_WITH_AIFS_SINGLE = f"Published from the {AIFS_SINGLE_FROM:%Y-%m-%d %H} UTC run on; missing before."
ADDED = {"available_from": AIFS_SINGLE_FROM, "comment": ADDED_WITH_AIFS_SINGLE}

# ~14 MB chunks (all 61 leads, 3 x 6 per map), one shard per variable and init (~250 MB)
AIFS = EcmwfVariables(encoding=float32_encoding((1, 61, 241, 240), (1, 61, 723, 1440)))

AIFS_SINGLE_DATA_VARS: tuple[EcmwfDataVar, ...] = (
    *(AIFS.standard(name) for name in (
        "pressure_surface", "pressure_reduced_to_mean_sea_level", "temperature_2m", "dew_point_temperature_2m",
        "wind_u_10m", "wind_v_10m")),
    AIFS.standard("wind_u_100m", **ADDED),
    AIFS.standard("wind_v_100m", **ADDED),
    AIFS.standard("precipitation_surface", source_scales=(SourceScale(before=AIFS_SINGLE_FROM, factor=1000),),
                  comment=f"{RUNNING_TOTAL_COMMENT} Published in kg m-2, before the {AIFS_SINGLE_FROM:%Y-%m-%d %H} "
                  "UTC run in metres of water (1 m = 1000 kg m-2). No value at lead time 0."),
    *(AIFS.standard(name, available_from=AIFS_SINGLE_FROM,
                    comment=f"{RUNNING_TOTAL_COMMENT} No value at lead time 0. {ADDED_WITH_AIFS_SINGLE}")
      for name in ("downward_short_wave_radiation_flux_surface", "downward_long_wave_radiation_flux_surface")),
    AIFS.standard("total_cloud_cover_atmosphere", available_from=AIFS_SINGLE_FROM,
                  comment=f"Published in percent. {ADDED_WITH_AIFS_SINGLE}"),
    *(AIFS.standard(f"geopotential_height_{level}hpa", param="z",
                    unit_conversion="geopotential_to_geopotential_height",
                    comment="Published as geopotential (z, m2 s-2); divided by standard gravity 9.80665 m s-2.")
      for level in (500, 850, 925)),
    AIFS.standard("temperature_850hpa"),
    AIFS.standard("temperature_925hpa"),
)  # fmt: skip


class EcmwfAifsSingleForecastTemplateConfig(EcmwfQuarterDegreeGrid, ForecastTemplateConfig[EcmwfDataVar]):
    # Earlier AIFS files (from 2024-02-29) are on a reduced Gaussian grid.
    append_dim_start: pd.Timestamp = timestamp("2024-04-01T00:00")
    append_dim_frequency: pd.Timedelta = timedelta("6h")
    forecast_length: pd.Timedelta = timedelta("360h")

    def lead_times(self) -> pd.TimedeltaIndex:
        return pd.timedelta_range("0h", "360h", freq="6h", name="lead_time")

    @property
    def data_vars(self) -> Sequence[EcmwfDataVar]:
        return AIFS_SINGLE_DATA_VARS
