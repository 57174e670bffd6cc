from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.timestamps import timedelta
from datasets.common.virtual.config import VirtualConfig
from datasets.common.virtual.validators import virtual_validators
from datasets.noaa.hrrr.forecast_48_hour.region_job import S3_BASE_URL, HrrrSourceFileCoord
from datasets.noaa.hrrr.forecast_48_hour.template_config import HrrrDataVar
from datasets.noaa.hrrr.forecast_48_hour_virtual.region_job import NoaaHrrrForecast48HourVirtualRegionJob
from datasets.noaa.hrrr.forecast_48_hour_virtual.template_config import NoaaHrrrForecast48HourVirtualTemplateConfig


def noaa_hrrr_forecast_48_hour_virtual() -> DynamicalDataset[HrrrDataVar, HrrrSourceFileCoord]:
    return DynamicalDataset(
        template_config=NoaaHrrrForecast48HourVirtualTemplateConfig(),
        region_job_class=NoaaHrrrForecast48HourVirtualRegionJob,
        virtual=VirtualConfig(
            source_prefixes=("s3://noaa-hrrr-bdp-pds/", f"{S3_BASE_URL}/"),
            manifest_split_size=120,
            update_lookback=timedelta("6h"),
        ),
        validation=virtual_validators(max_delay=timedelta("2h45min")),
    )
