import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from datasets.common.config_models import BLOSC_4BYTE_ZSTD_LEVEL3_SHUFFLE
from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.timestamps import timedelta
from datasets.common.validation import (
    CheckCurrentData,
    CheckExpectedShards,
    CheckHoles,
    CheckRecentNans,
    CheckReplicaMatchesPrimary,
)
from datasets.registry import DATASETS
from tests.support.cf import cf_standard_names, units_agree
from tests.support.synthetic_dataset import synthetic_dataset


def all_datasets(tmp_path: Path) -> list[DynamicalDataset[Any, Any]]:
    return [*DATASETS, synthetic_dataset(tmp_path / "templates", tmp_path / "source")]


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda d: d.dataset_id)
def test_checked_in_template_is_current(dataset: DynamicalDataset[Any, Any], tmp_path: Path) -> None:
    config = dataset.template_config
    checked_in = config.template_path()
    assert checked_in.exists(), f"run `uv run main {dataset.dataset_id} update-template`"
    fresh = config.update_template(tmp_path / "latest.zarr")
    regenerated = {p.relative_to(fresh): p.read_bytes() for p in sorted(fresh.rglob("*")) if p.is_file()}
    original = {p.relative_to(checked_in): p.read_bytes() for p in sorted(checked_in.rglob("*")) if p.is_file()}
    stale = sorted(str(k) for k in regenerated.keys() | original.keys() if regenerated.get(k) != original.get(k))
    assert not stale, f"stale template files {stale}: run `uv run main {dataset.dataset_id} update-template`"


def test_every_dataset_follows_metadata_conventions(tmp_path: Path) -> None:
    standard_names = cf_standard_names()
    for dataset in all_datasets(tmp_path):
        config = dataset.template_config
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", dataset.dataset_id)
        dims = config.dims
        assert dims[0] == config.append_dim in ("init_time", "time")
        assert set(dims) <= {"init_time", "time", "lead_time", "ensemble_member", "latitude", "longitude", "y", "x"}
        for var in config.data_vars:
            where = f"{dataset.dataset_id}/{var.name}"
            assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", var.name), where
            assert var.encoding.dtype == "float32", where
            assert var.attrs.long_name, where
            assert var.attrs.short_name, where
            assert var.attrs.units, where
            if var.attrs.standard_name is not None:
                assert var.attrs.standard_name in standard_names, f"{where}: not a CF standard name"
                canonical = standard_names[var.attrs.standard_name]
                assert units_agree(var.attrs.units, canonical), f"{where}: {var.attrs.units} vs {canonical}"
            else:
                assert units_agree(var.attrs.units, var.attrs.units), f"{where}: unparseable units"
        for coord in config.coords:
            if coord.attrs.standard_name is not None:
                assert coord.attrs.standard_name in standard_names, f"{dataset.dataset_id}/{coord.name}"


def test_template_metadata_is_sorted_json(tmp_path: Path) -> None:
    dataset = synthetic_dataset(tmp_path / "templates", tmp_path / "source")
    path = dataset.template_config.update_template()
    for metadata in path.rglob("zarr.json"):
        text = metadata.read_text()
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("dataset", [d for d in DATASETS if d.deployable], ids=lambda d: d.dataset_id)
def test_a_deployed_dataset_expects_its_update_published_when_validation_runs(
    dataset: DynamicalDataset[Any, Any],
) -> None:
    (current,) = [v for v in dataset.validators() if isinstance(v, CheckCurrentData)]
    assert current.max_delay >= timedelta(f"{dataset.operational.update_deadline_seconds}s")


@pytest.mark.parametrize(
    "dataset", [d for d in DATASETS if d.deployable and d.virtual is None], ids=lambda d: d.dataset_id
)
def test_a_deployed_materialized_dataset_checks_what_its_update_wrote(dataset: DynamicalDataset[Any, Any]) -> None:
    """One missing lead time shows as recent NaN, every expected shard is stored, replicas match; holes are looked
    for only in variables the dataset has."""
    validators = {type(v): v for v in dataset.validators()}
    assert {CheckRecentNans, CheckExpectedShards, CheckReplicaMatchesPrimary} <= set(validators)
    lead_times = dataset.template_config.dimension_coordinates().get("lead_time")
    recent_nans = validators[CheckRecentNans]
    assert isinstance(recent_nans, CheckRecentNans)
    if lead_times is not None:
        assert recent_nans.max_nan_fraction < 1 / len(lead_times)
    holes = validators.get(CheckHoles)
    if holes is not None:
        assert isinstance(holes, CheckHoles)
        assert set(holes.variables) <= {v.name for v in dataset.template_config.data_vars}


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda d: d.dataset_id)
def test_coordinates_and_encodings_follow_the_conventions(dataset: DynamicalDataset[Any, Any]) -> None:
    config = dataset.template_config
    ds = config.get_template(config.append_dim_start + 4 * config.append_dim_frequency)
    expected = pd.date_range(config.append_dim_start, periods=4, freq=config.append_dim_frequency)
    assert list(ds[config.append_dim].values) == list(expected)
    assert ds["spatial_ref"].dims == ()
    for name in {config.append_dim, "valid_time"} & set(ds.coords):
        assert ds[name].encoding["units"] == "seconds since 1970-01-01"
        assert ds[name].encoding["calendar"] == "proleptic_gregorian"
        assert ds[name].encoding["dtype"] == np.int64
    if "lead_time" in ds.dims:
        np.testing.assert_array_equal(ds["valid_time"].values, ds["init_time"].values[:, None] + ds["lead_time"].values)
        assert np.isnat(ds["ingested_forecast_length"].values).all()
        for name in ("lead_time", "expected_forecast_length", "ingested_forecast_length"):
            assert ds[name].encoding["units"] == "seconds"
            assert ds[name].encoding["dtype"] == np.int64
    for name in ("latitude", "longitude"):
        assert ds[name].dtype == np.float64
    for var in config.data_vars:
        assert ds[var.name].dtype == np.float32
        assert np.isnan(var.encoding.fill_value)
        if dataset.virtual is None:  # a virtual chunk is the source's GRIB message itself
            assert var.encoding.compressors == (BLOSC_4BYTE_ZSTD_LEVEL3_SHUFFLE,)


@pytest.mark.parametrize("dataset", [d for d in DATASETS if d.deployable], ids=lambda d: d.dataset_id)
def test_every_deployed_dataset_has_its_page_and_a_readme_row(dataset: DynamicalDataset[Any, Any]) -> None:
    root = Path(__file__).parents[2]
    page = f"docs/datasets/{dataset.dataset_id}.md"
    assert (root / page).read_text().startswith(f"# {dataset.dataset_id}\n"), page
    assert f"[`{dataset.dataset_id}`]({page})" in (root / "README.md").read_text(), "README's dataset table"
