from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.timestamps import timedelta
from datasets.common.virtual.config import VirtualConfig
from datasets.common.virtual.validators import virtual_validators
from datasets.noaa.gfs.forecast.region_job import S3_BASE_URL, GfsSourceFileCoord
from datasets.noaa.gfs.forecast.template_config import GfsDataVar
from datasets.noaa.gfs.forecast_virtual.region_job import NoaaGfsForecastVirtualRegionJob
from datasets.noaa.gfs.forecast_virtual.template_config import NoaaGfsForecastVirtualTemplateConfig


def noaa_gfs_forecast_virtual() -> DynamicalDataset[GfsDataVar, GfsSourceFileCoord]:
    return DynamicalDataset(
        template_config=NoaaGfsForecastVirtualTemplateConfig(),
        region_job_class=NoaaGfsForecastVirtualRegionJob,
        virtual=VirtualConfig(
            source_prefixes=("s3://noaa-gfs-bdp-pds/", f"{S3_BASE_URL}/"),
            manifest_split_size=120,
            update_lookback=timedelta("12h"),
        ),
        validation=virtual_validators(max_delay=timedelta("6h")),
    )
