import json
import re
from pathlib import Path
from typing import Any

import pytest

from datasets.common.dynamical_dataset import DynamicalDataset
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
