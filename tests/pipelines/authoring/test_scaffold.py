import ast
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from datasets.common.errors import UserInputError
from pipelines.authoring.scaffold import (
    DATASET_FILES,
    EXAMPLE,
    REGISTRY,
    TEST_FILES,
    IntegrationNames,
    next_steps,
    render_files,
    scaffold,
)
from tests.support.project_copy import PROJECT_ROOT

EXAMPLE_IDENTIFIERS = re.compile(r"datasets[./]example|example[-_]gfs|Example[A-Z]|Example coarse")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for directory in (EXAMPLE.package_dir, EXAMPLE.test_dir):
        shutil.copytree(PROJECT_ROOT / directory, tmp_path / directory, ignore=shutil.ignore_patterns("templates"))
    (tmp_path / REGISTRY).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / REGISTRY, tmp_path / REGISTRY)
    (tmp_path / "datasets" / "__init__.py").write_text("")
    return tmp_path


def test_names() -> None:
    names = IntegrationNames.parse("noaa", "hrrr", "forecast_48_hour")
    assert names.dataset_id == "noaa-hrrr-forecast-48-hour"
    assert names.package == "datasets.noaa.hrrr.forecast_48_hour"
    assert names.factory == "noaa_hrrr_forecast_48_hour"
    assert names.class_prefix == "NoaaHrrrForecast48Hour"
    assert names.title == "Noaa Hrrr Forecast 48 Hour"
    assert names.package_dir == Path("datasets/noaa/hrrr/forecast_48_hour")
    assert names.test_dir == Path("tests/datasets/noaa/hrrr/forecast_48_hour")
    assert names.test_package == "tests.datasets.noaa.hrrr.forecast_48_hour"


def test_the_example_is_the_scaffold_under_its_own_names() -> None:
    files = render_files(EXAMPLE, PROJECT_ROOT)
    assert set(files) == {EXAMPLE.package_dir / n for n in DATASET_FILES} | {EXAMPLE.test_dir / n for n in TEST_FILES}
    for path, text in files.items():
        assert text == (PROJECT_ROOT / path).read_text(), path


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("NOAA", "gfs", "forecast"), "invalid provider 'NOAA'"),
        (("noaa", "g-fs", "forecast"), "invalid model 'g-fs'"),
        (("noaa", "gfs", "35_day"), "invalid variant '35_day'"),
        (("noaa", "gfs", "fore__cast"), "invalid variant 'fore__cast'"),
        (("noaa", "gfs", "forecast_"), "invalid variant 'forecast_'"),
        (("noaa", "class", "forecast"), "invalid model 'class'"),
        (("noaa", "gfs", ""), "invalid variant ''"),
        (("common", "gfs", "forecast"), "invalid provider 'common': datasets/common is reserved"),
    ],
)
def test_bad_names_are_refused(parts: tuple[str, str, str], message: str) -> None:
    with pytest.raises(UserInputError, match=message):
        IntegrationNames.parse(*parts)


def test_rendered_files_name_the_dataset_and_parse() -> None:
    names = IntegrationNames.parse("acme", "widget", "forecast_35_day")
    files = render_files(names, PROJECT_ROOT)
    assert sorted(p.as_posix() for p in files) == [
        "datasets/acme/widget/forecast_35_day/__init__.py",
        "datasets/acme/widget/forecast_35_day/dataset.toml",
        "datasets/acme/widget/forecast_35_day/dynamical_dataset.py",
        "datasets/acme/widget/forecast_35_day/region_job.py",
        "datasets/acme/widget/forecast_35_day/template_config.py",
        "tests/datasets/acme/widget/forecast_35_day/test_region_job.py",
    ]
    for path, text in files.items():
        if path.suffix == ".py":
            ast.parse(text, filename=str(path))
        else:
            tomllib.loads(text)
        assert not EXAMPLE_IDENTIFIERS.findall(text), f"{path}: the example's names are left in it"
    card = tomllib.loads(files[names.package_dir / "dataset.toml"])
    assert card["attributes"]["dataset_id"] == "acme-widget-forecast-35-day"
    assert card["attributes"]["name"] == "Acme Widget Forecast 35 Day"
    assert "class AcmeWidgetForecast35DayRegionJob(" in files[names.package_dir / "region_job.py"]
    assert "def acme_widget_forecast_35_day() -> DynamicalDataset[" in files[names.package_dir / "dynamical_dataset.py"]
    assert "from datasets.acme.widget.forecast_35_day import acme_widget_forecast_35_day\n" in "".join(files.values())
    assert "NotImplementedError" not in "".join(files.values())


def test_scaffold_writes_package_tests_and_registry(root: Path) -> None:
    names = IntegrationNames.parse("acme", "widget", "forecast")
    written = scaffold(names, root, ["noaa-gfs-forecast"])
    assert {p.as_posix() for p in written} >= {
        "datasets/acme/__init__.py",
        "datasets/acme/widget/__init__.py",
        "datasets/acme/widget/forecast/region_job.py",
        "tests/datasets/acme/__init__.py",
        "tests/datasets/acme/widget/__init__.py",
        "tests/datasets/acme/widget/forecast/__init__.py",
        "tests/datasets/acme/widget/forecast/test_region_job.py",
        "datasets/registry.py",
    }
    assert all((root / p).is_file() for p in written)
    registry = (root / REGISTRY).read_text()
    assert "    from datasets.acme.widget.forecast import acme_widget_forecast\n" in registry
    assert "        acme_widget_forecast(),\n" in registry


def test_scaffold_keeps_existing_parent_packages(root: Path) -> None:
    (root / "datasets" / "acme").mkdir()
    (root / "datasets" / "acme" / "__init__.py").write_text('"""Acme datasets."""\n')
    written = scaffold(IntegrationNames.parse("acme", "widget", "forecast"), root, [])
    assert Path("datasets/acme/__init__.py") not in written
    assert (root / "datasets" / "acme" / "__init__.py").read_text() == '"""Acme datasets."""\n'


def test_scaffold_never_overwrites(root: Path) -> None:
    names = IntegrationNames.parse("acme", "widget", "forecast")
    scaffold(names, root, [])
    registry = (root / REGISTRY).read_text()
    with pytest.raises(UserInputError, match=r"^datasets/acme/widget/forecast already exists: refusing"):
        scaffold(names, root, [])
    shutil.rmtree(root / names.package_dir)
    with pytest.raises(UserInputError, match=r"^tests/datasets/acme/widget/forecast/test_region_job.py already exists"):
        scaffold(names, root, [])
    with pytest.raises(UserInputError, match=r"^dataset 'acme-widget-forecast' is already registered"):
        scaffold(names, root, ["acme-widget-forecast"])
    assert (root / REGISTRY).read_text() == registry


def test_scaffold_needs_the_example(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="datasets/example not found"):
        scaffold(IntegrationNames.parse("acme", "widget", "forecast"), tmp_path, [])


def test_next_steps_name_the_commands() -> None:
    steps = next_steps(IntegrationNames.parse("acme", "widget", "forecast"), formatted=True)
    assert "uv run pytest tests/datasets/acme/widget/forecast" in steps[0]
    assert any("uv run main acme-widget-forecast update-template" in step for step in steps)
    assert any("deployable=True in datasets/acme/widget/forecast/dynamical_dataset.py" in step for step in steps)
    assert any("uv run main render-argo" in step for step in steps)
    assert not any("ruff was not installed" in step for step in steps)
    assert "ruff was not installed" in next_steps(IntegrationNames.parse("a", "b", "c"), formatted=False)[0]
