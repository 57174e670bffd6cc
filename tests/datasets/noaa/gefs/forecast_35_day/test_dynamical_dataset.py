from datasets.common.validation import CheckHoles
from datasets.noaa.gefs.forecast_35_day.region_job import NoaaGefsForecast35DayRegionJob
from datasets.registry import get_dataset


def test_an_update_runs_one_worker_per_source_group() -> None:
    dataset = get_dataset("noaa-gefs-forecast-35-day")
    groups = NoaaGefsForecast35DayRegionJob.source_groups(dataset.template_config.data_vars)
    assert dataset.operational.update_workers == len(groups) == 9


def test_holes_are_looked_for_in_every_file_family() -> None:
    dataset = get_dataset("noaa-gefs-forecast-35-day")
    (holes,) = [v for v in dataset.validators() if isinstance(v, CheckHoles)]
    data_vars = {v.name: v for v in dataset.template_config.data_vars}
    assert {data_vars[n].internal_attrs.coarse_file_type for n in holes.variables} == {"a", "b"}
    assert {data_vars[n].internal_attrs.fine_file_type for n in holes.variables} == {"s", None}
