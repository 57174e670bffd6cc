from datasets.common.timestamps import timedelta
from datasets.common.validation import (
    CheckCurrentData,
    CheckExpectedShards,
    CheckHoles,
    CheckRecentNans,
    CheckReplicaMatchesPrimary,
)
from datasets.noaa.gfs.forecast.region_job import S3_BASE_URL, NoaaGfsForecastRegionJob
from datasets.noaa.gfs.forecast.template_config import gfs_lead_times
from datasets.registry import get_dataset


def test_registered_with_its_operational_settings() -> None:
    dataset = get_dataset("noaa-gfs-forecast")
    assert dataset.region_job_class is NoaaGfsForecastRegionJob
    assert dataset.source_url() == S3_BASE_URL
    operational = dataset.operational
    assert operational.update_schedule == "38 5,11,17,23 * * *"
    assert operational.validate_schedule == "48 5,11,17,23 * * *"
    assert operational.update_workers == 2
    assert operational.update_deadline_seconds == 600
    assert (operational.cpu, operational.memory) == ("3.5", "7G")
    assert (operational.shared_memory, operational.ephemeral_storage) == ("1.5G", "20G")


def test_validators_catch_a_late_init_and_one_missing_lead_time() -> None:
    dataset = get_dataset("noaa-gfs-forecast")
    current, recent_nans, shards, holes, replicas = dataset.validators()
    assert isinstance(current, CheckCurrentData)
    # validation runs at hh:48 after the 00/06/12/18 UTC init: that init is the one due
    assert current.max_delay == timedelta("5h48min")
    assert dataset.operational.validate_schedule.startswith("48 5,")
    assert isinstance(recent_nans, CheckRecentNans)
    assert recent_nans.max_nan_fraction < 1 / len(gfs_lead_times())
    assert isinstance(shards, CheckExpectedShards)
    assert isinstance(holes, CheckHoles)
    assert set(holes.variables) <= {v.name for v in dataset.template_config.data_vars}
    assert isinstance(replicas, CheckReplicaMatchesPrimary)
