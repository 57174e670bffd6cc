from collections.abc import Sequence

import numpy as np

from datasets.common.config_models import DatasetAttributes
from datasets.noaa.gfs.forecast.region_job import NoaaGfsForecastRegionJob
from datasets.noaa.gfs.forecast.template_config import GFS_DATA_VARS, GfsDataVar, NoaaGfsForecastTemplateConfig
from datasets.noaa.noaa_virtual_template import virtual_data_var, virtual_dataset_attributes, virtual_encoding

ENCODING = virtual_encoding(NoaaGfsForecastRegionJob.grid, leading_dims=2)
ACCUMULATION = {
    "long_name": "Total precipitation",
    "short_name": "tp",
    "units": "kg m-2",
    "step_type": "accum",
    "standard_name": "precipitation_amount",
    "comment": "Accumulated since the previous 6-hourly reset (lead times that are multiples of 6 h end a window). "
    "No value at lead time 0.",
}

GFS_VIRTUAL_DATA_VARS: tuple[GfsDataVar, ...] = tuple(
    virtual_data_var(v, ENCODING, **(ACCUMULATION if v.internal_attrs.deaccumulate_to_rate else {}))
    for v in GFS_DATA_VARS
)


class NoaaGfsForecastVirtualTemplateConfig(NoaaGfsForecastTemplateConfig):
    """noaa-gfs-forecast's structure with one message per chunk, the source's units and its longitudes 0…359.75."""

    @property
    def dataset_attributes(self) -> DatasetAttributes:
        return virtual_dataset_attributes(super().dataset_attributes)

    def longitudes(self) -> np.ndarray:
        return np.arange(0, 360, 0.25)

    @property
    def data_vars(self) -> Sequence[GfsDataVar]:
        return GFS_VIRTUAL_DATA_VARS
