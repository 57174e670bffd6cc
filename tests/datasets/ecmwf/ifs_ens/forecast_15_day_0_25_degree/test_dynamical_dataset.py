from datasets.common.timestamps import timedelta
from datasets.common.validation import (
    CheckCurrentData,
    CheckExpectedShards,
    CheckHoles,
    CheckRecentNans,
    CheckReplicaMatchesPrimary,
)
from datasets.ecmwf.ifs_ens.forecast_15_day_0_25_degree.region_job import (
    S3_BASE_URL,
    EcmwfIfsEnsForecast15Day025DegreeRegionJob,
)
from datasets.ecmwf.ifs_ens.forecast_15_day_0_25_degree.template_config import ifs_ens_lead_times
from datasets.registry import get_dataset

DATASET_ID = "ecmwf-ifs-ens-forecast-15-day-0-25-degree"


def test_registered_with_its_operational_settings() -> None:
    dataset = get_dataset(DATASET_ID)
    assert dataset.region_job_class is EcmwfIfsEnsForecast15Day025DegreeRegionJob
    assert dataset.source_url() == S3_BASE_URL
    operational = dataset.operational
    assert operational.update_schedule == "5 8 * * *"
    groups = EcmwfIfsEnsForecast15Day025DegreeRegionJob.source_groups(dataset.template_config.data_vars)
    assert operational.update_workers == len(groups) == 10


def test_validators_follow_the_update() -> None:
    dataset = get_dataset(DATASET_ID)
    current, recent_nans, shards, holes, replicas = dataset.validators()
    assert isinstance(current, CheckCurrentData)
    assert dataset.operational.validate_schedule == "45 8 * * *"
    assert current.max_delay == timedelta("8h45min")
    assert timedelta("8h5min") + timedelta(f"{dataset.operational.update_deadline_seconds}s") <= current.max_delay
    assert isinstance(recent_nans, CheckRecentNans)
    assert recent_nans.max_nan_fraction < 1 / len(ifs_ens_lead_times())
    assert isinstance(shards, CheckExpectedShards)
    assert isinstance(holes, CheckHoles)
    assert isinstance(replicas, CheckReplicaMatchesPrimary)
