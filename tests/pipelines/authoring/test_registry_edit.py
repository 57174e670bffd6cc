import ast

import pytest

from datasets.common.errors import UserInputError
from pipelines.authoring.registry_edit import natural_key, register_dataset

REGISTRY = """from typing import Any


def _load() -> list[Any]:
    from datasets.example.dynamical_dataset import EXAMPLE_DATASET
    from datasets.noaa.gfs.forecast import noaa_gfs_forecast

    return [noaa_gfs_forecast(), EXAMPLE_DATASET]


DATASETS = _load()
"""


def load_body(source: str) -> tuple[list[str], list[str]]:
    function = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == "_load")
    imports = [f"{n.module}:{n.names[0].name}" for n in function.body if isinstance(n, ast.ImportFrom)]
    returned = next(n for n in function.body if isinstance(n, ast.Return))
    assert isinstance(returned.value, ast.List)
    return imports, [ast.unparse(e) for e in returned.value.elts]


@pytest.mark.parametrize(
    ("module", "position"),
    [("datasets.acme.widget.forecast", 0), ("datasets.noaa.gefs.forecast", 1), ("datasets.zeta.a.b", 2)],
)
def test_import_goes_in_sorted_position_and_factory_last(module: str, position: int) -> None:
    edited = register_dataset(REGISTRY, module, "new_dataset")
    imports, entries = load_body(edited)
    expected_imports = [
        "datasets.example.dynamical_dataset:EXAMPLE_DATASET",
        "datasets.noaa.gfs.forecast:noaa_gfs_forecast",
    ]
    expected_imports.insert(position, f"{module}:new_dataset")
    assert imports == expected_imports
    assert entries == ["noaa_gfs_forecast()", "EXAMPLE_DATASET", "new_dataset()"]
    assert (
        "    return [\n        noaa_gfs_forecast(),\n        EXAMPLE_DATASET,\n        new_dataset(),\n    ]\n"
        in edited
    )
    assert edited.endswith("\n\nDATASETS = _load()\n")


def test_a_second_registration_extends_the_exploded_list() -> None:
    once = register_dataset(REGISTRY, "datasets.acme.widget.forecast", "acme_widget_forecast")
    twice = register_dataset(once, "datasets.noaa.hrrr.forecast_48_hour", "noaa_hrrr_forecast_48_hour")
    imports, entries = load_body(twice)
    assert [i.split(":")[0] for i in imports] == [
        "datasets.acme.widget.forecast",
        "datasets.example.dynamical_dataset",
        "datasets.noaa.gfs.forecast",
        "datasets.noaa.hrrr.forecast_48_hour",
    ]
    assert entries[-2:] == ["acme_widget_forecast()", "noaa_hrrr_forecast_48_hour()"]


def test_digits_sort_as_numbers() -> None:
    assert natural_key("datasets.x.v9") < natural_key("datasets.x.v10")
    assert sorted(["b.a_10", "b.a_9", "B.a_1"], key=natural_key) == ["B.a_1", "b.a_9", "b.a_10"]


def test_refuses_a_module_already_registered() -> None:
    with pytest.raises(UserInputError, match="already registered"):
        register_dataset(REGISTRY, "datasets.noaa.gfs.forecast", "noaa_gfs_forecast")


@pytest.mark.parametrize(
    "source",
    ["def other() -> None:\n    pass\n", "def _load():\n    from a import b\n\n    return (b(),)\n"],
)
def test_refuses_a_registry_of_another_shape(source: str) -> None:
    with pytest.raises(UserInputError, match=r"datasets/registry.py"):
        register_dataset(source, "datasets.a.b.c", "a_b_c")
