from datasets.common.dynamical_dataset import DynamicalDataset, OperationalConfig
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
        # f000 lands about 3 h 30 min after the init time and f384 about 5 h 35 min: one pod polls from 3 h 25 min
        # until 6 h 25 min after each init; validation follows at 6 h 30 min.
        operational=OperationalConfig(
            update_schedule="25 3,9,15,21 * * *",
            validate_schedule="30 0,6,12,18 * * *",
            update_workers=1,
            update_deadline_seconds=3 * 3600,
            cpu="1",
            memory="2G",
            ephemeral_storage="1G",
        ),
        source_base_url=S3_BASE_URL,
        virtual=VirtualConfig(
            source_prefixes=("s3://noaa-gfs-bdp-pds/", f"{S3_BASE_URL}/"),
            manifest_split_size=120,
            update_lookback=timedelta("12h"),
        ),
        validation=virtual_validators(max_delay=timedelta("6h")),
    )
