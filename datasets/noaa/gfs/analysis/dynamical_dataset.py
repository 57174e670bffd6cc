from datasets.common.dynamical_dataset import DynamicalDataset, OperationalConfig, scheduled_validators
from datasets.common.timestamps import timedelta
from datasets.noaa.gfs.analysis.region_job import NoaaGfsAnalysisRegionJob
from datasets.noaa.gfs.analysis.template_config import NoaaGfsAnalysisTemplateConfig
from datasets.noaa.gfs.forecast.region_job import S3_BASE_URL, GfsSourceFileCoord
from datasets.noaa.noaa_region_job import NoaaDataVar


def noaa_gfs_analysis() -> DynamicalDataset[NoaaDataVar, GfsSourceFileCoord]:
    return DynamicalDataset(
        template_config=NoaaGfsAnalysisTemplateConfig(),
        region_job_class=NoaaGfsAnalysisRegionJob,
        # Leads 0-6 h of a run land about 3 h 30 min after its init time. An update fetches only the new hours
        # but rewrites the trailing 60-day shard of every variable; its instant and windowed jobs run in parallel.
        operational=OperationalConfig(
            update_schedule="40 3,9,15,21 * * *",
            validate_schedule="15 4,10,16,22 * * *",
            update_workers=2,
            update_deadline_seconds=30 * 60,
            cpu="3.5",
            memory="16G",
            ephemeral_storage="40G",
        ),
        source_base_url=S3_BASE_URL,
        # Validation runs at hh:15, 4 h 15 min after an init: the update before it published up to hh-1:00. A
        # missing source file empties a whole hour; deaccumulation rejects stay far below 0.1%. Instant and windowed
        # variables come from different files at 00/06/12/18; the windowed one keeps its value at the first time
        # (deaccumulated ones have none there).
        validation=scheduled_validators(
            timedelta("1h15min"), nan_window=6, hole_variables=("temperature_2m", "maximum_temperature_2m")
        ),
    )
