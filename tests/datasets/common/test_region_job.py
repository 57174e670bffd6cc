from typing import Any

import pandas as pd
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.region_job import worker_share
from datasets.common.timestamps import timestamp
from tests.support.synthetic_dataset import DATA_VARS, START, SyntheticRegionJob


def template(synthetic: DynamicalDataset, steps: int) -> xr.Dataset:
    return synthetic.template_config.get_template(timestamp(START + steps * pd.Timedelta("6h")))


def test_jobs_are_shards_in_order(synthetic: DynamicalDataset) -> None:
    jobs = SyntheticRegionJob.get_jobs(template(synthetic, 5), "init_time", DATA_VARS)
    assert [(j.region.start, j.region.stop) for j in jobs] == [(0, 2), (2, 4), (4, 5)]
    assert all(j.data_vars == DATA_VARS for j in jobs)


def test_filters(synthetic: DynamicalDataset) -> None:
    ds = template(synthetic, 8)

    def regions(**filters: Any) -> list[int]:
        return [j.region.start for j in SyntheticRegionJob.get_jobs(ds, "init_time", DATA_VARS, **filters)]

    t = timestamp
    assert regions(filter_start=t("2024-01-01T12:00")) == [2, 4, 6]
    assert regions(filter_start=t("2024-01-01T06:00")) == [0, 2, 4, 6]
    assert regions(filter_end=t("2024-01-01T12:00")) == [0]
    assert regions(filter_end=t("2024-01-01T12:01")) == [0, 2]
    assert regions(filter_contains=[t("2024-01-02T06:00"), t("2024-01-01")]) == [0, 4]
    assert regions(filter_start=t("2024-01-01T12:00"), filter_end=t("2024-01-02T00:00")) == [2]
    names = SyntheticRegionJob.get_jobs(ds, "init_time", DATA_VARS, filter_variable_names=["wind_u_10m"])
    assert {tuple(v.name for v in j.data_vars) for j in names} == {("wind_u_10m",)}
    with pytest.raises(AssertionError, match="unknown variable"):
        SyntheticRegionJob.get_jobs(ds, "init_time", DATA_VARS, filter_variable_names=["nope"])


@given(st.integers(0, 200), st.integers(1, 40))
def test_worker_share_assigns_every_job_once(n_jobs: int, workers_total: int) -> None:
    jobs = list(range(n_jobs))
    shares = [worker_share(jobs, i, workers_total) for i in range(workers_total)]
    assert sorted(j for share in shares for j in share) == jobs
    assert max(map(len, shares)) - min(map(len, shares)) <= 1
    assert shares == [worker_share(jobs, i, workers_total) for i in range(workers_total)]
    firsts = [share[0] for share in shares if share]
    assert firsts == sorted(firsts)
    if n_jobs >= workers_total > 1:
        assert firsts[1] - firsts[0] >= n_jobs // workers_total


def test_keys_of_many_variables_stay_short_and_unique(synthetic: DynamicalDataset) -> None:
    ds = template(synthetic, 2)
    many = tuple(v.model_copy(update={"name": f"{v.name}_{'x' * 40}_{i}"}) for i in range(9) for v in DATA_VARS[:1])
    job = SyntheticRegionJob.get_jobs(ds, "init_time", DATA_VARS)[0]
    long_job = job.model_copy(update={"data_vars": many})
    other = job.model_copy(update={"data_vars": many[:-1]})
    assert job.key == f"init_time-0-2-{'+'.join(v.name for v in DATA_VARS)}"
    assert len(long_job.key) < 200
    assert long_job.key.startswith(f"init_time-0-2-{many[0].name}+8-more-")
    assert long_job.key != other.key
