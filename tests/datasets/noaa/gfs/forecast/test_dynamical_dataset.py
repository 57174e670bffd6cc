from datasets.noaa.gfs.forecast.region_job import S3_BASE_URL, NoaaGfsForecastRegionJob
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
