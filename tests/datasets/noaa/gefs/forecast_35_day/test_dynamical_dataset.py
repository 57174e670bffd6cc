from datasets.common.timestamps import timedelta
from datasets.common.validation import (
    CheckCurrentData,
    CheckExpectedShards,
    CheckHoles,
    CheckRecentNans,
    CheckReplicaMatchesPrimary,
)
from datasets.noaa.gefs.forecast_35_day.region_job import S3_BASE_URL, NoaaGefsForecast35DayRegionJob
from datasets.noaa.gefs.forecast_35_day.template_config import gefs_lead_times
from datasets.registry import get_dataset

DATASET_ID = "noaa-gefs-forecast-35-day"


def test_registered_with_its_operational_settings() -> None:
    dataset = get_dataset(DATASET_ID)
    assert dataset.region_job_class is NoaaGefsForecast35DayRegionJob
    assert dataset.source_url() == S3_BASE_URL
    operational = dataset.operational
    assert operational.update_schedule == "0 7 * * *"
    groups = NoaaGefsForecast35DayRegionJob.source_groups(dataset.template_config.data_vars)
    assert operational.update_workers == len(groups) == 9


def test_validators_follow_the_update() -> None:
    dataset = get_dataset(DATASET_ID)
    current, recent_nans, shards, holes, replicas = dataset.validators()
    assert isinstance(current, CheckCurrentData)
    # validation runs at 09:15 UTC, after the 07:00 update's 2 h deadline: the 00 UTC init is due
    assert dataset.operational.validate_schedule == "15 9 * * *"
    assert current.max_delay == timedelta("9h15min")
    assert timedelta("7h") + timedelta(f"{dataset.operational.update_deadline_seconds}s") <= current.max_delay
    assert isinstance(recent_nans, CheckRecentNans)
    assert recent_nans.max_nan_fraction < 1 / len(gefs_lead_times())
    assert isinstance(shards, CheckExpectedShards)
    assert isinstance(holes, CheckHoles)
    data_vars = {v.name: v for v in dataset.template_config.data_vars}
    assert {data_vars[n].internal_attrs.coarse_file_type for n in holes.variables} == {"a", "b"}
    assert isinstance(replicas, CheckReplicaMatchesPrimary)
