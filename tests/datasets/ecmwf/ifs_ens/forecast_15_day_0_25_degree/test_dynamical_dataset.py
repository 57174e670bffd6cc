from datasets.ecmwf.ifs_ens.forecast_15_day_0_25_degree.region_job import EcmwfIfsEnsForecast15Day025DegreeRegionJob
from datasets.registry import get_dataset


def test_an_update_runs_one_worker_per_source_group() -> None:
    dataset = get_dataset("ecmwf-ifs-ens-forecast-15-day-0-25-degree")
    groups = EcmwfIfsEnsForecast15Day025DegreeRegionJob.source_groups(dataset.template_config.data_vars)
    assert dataset.operational.update_workers == len(groups) == 10
