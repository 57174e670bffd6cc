from collections.abc import Sequence

from datasets.common.config_models import DatasetAttributes
from datasets.noaa.hrrr.forecast_48_hour.template_config import (
    HRRR_DATA_VARS,
    HRRR_GRID,
    HrrrDataVar,
    NoaaHrrrForecast48HourTemplateConfig,
)
from datasets.noaa.noaa_virtual_template import virtual_data_var, virtual_dataset_attributes, virtual_encoding

ENCODING = virtual_encoding(HRRR_GRID.grid_spec(), leading_dims=2)
HOURLY = "over the hour before the valid time. No value at lead time 0."
ACCUMULATIONS = {
    "precipitation_surface": {
        "long_name": "Total precipitation",
        "short_name": "tp",
        "standard_name": "precipitation_amount",
        "comment": f"Accumulated {HOURLY}",
    },
    "snowfall_surface": {
        "long_name": "Snowfall",
        "short_name": "sf",
        "standard_name": "snowfall_amount",
        "comment": f"Water equivalent of the snow accumulated {HOURLY}",
    },
}

HRRR_VIRTUAL_DATA_VARS: tuple[HrrrDataVar, ...] = tuple(
    virtual_data_var(v, ENCODING, **({"units": "kg m-2", "step_type": "accum"} | ACCUMULATIONS[v.name]))
    if v.internal_attrs.deaccumulate_to_rate
    else virtual_data_var(v, ENCODING)
    for v in HRRR_DATA_VARS
)


class NoaaHrrrForecast48HourVirtualTemplateConfig(NoaaHrrrForecast48HourTemplateConfig):
    """noaa-hrrr-forecast-48-hour's structure with one message per chunk and the source's units."""

    @property
    def dataset_attributes(self) -> DatasetAttributes:
        return virtual_dataset_attributes(super().dataset_attributes)

    @property
    def data_vars(self) -> Sequence[HrrrDataVar]:
        return HRRR_VIRTUAL_DATA_VARS
