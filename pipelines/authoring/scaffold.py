"""`main initialize-new-integration`: a new dataset package and its test, copied from the example dataset
(datasets/example, tests/datasets/example) under the new dataset's names. The example is the one teaching source."""

import importlib
import importlib.util
import keyword
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import UserInputError
from pipelines.authoring.registry_edit import register_dataset

NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
RESERVED_PROVIDERS = frozenset({"common", "example"})
REGISTRY = Path("datasets") / "registry.py"
# Copied from the example's package and from its tests.
DATASET_FILES = ("__init__.py", "dataset.toml", "template_config.py", "region_job.py", "dynamical_dataset.py")
TEST_FILES = ("test_region_job.py",)


class IntegrationNames(FrozenBaseModel):
    """Every name a dataset integration goes by."""

    dataset_id: str
    title: str  # the dataset's name attribute
    package_dir: Path
    test_dir: Path
    factory: str  # the function returning its DynamicalDataset
    class_prefix: str

    @classmethod
    def parse(cls, provider: str, model: str, variant: str) -> "IntegrationNames":
        for role, name in (("provider", provider), ("model", model), ("variant", variant)):
            if not NAME.fullmatch(name) or keyword.iskeyword(name):
                raise UserInputError(
                    f"invalid {role} {name!r}: use lowercase letters, digits and single underscores, "
                    "starting with a letter (e.g. noaa gfs forecast_35_day)"
                )
        if provider in RESERVED_PROVIDERS:
            raise UserInputError(f"invalid provider {provider!r}: datasets/{provider} is reserved")
        parts = (provider, model, variant)
        return cls(
            dataset_id="-".join(parts).replace("_", "-"),
            title=" ".join(word.capitalize() for part in parts for word in part.split("_")),
            package_dir=Path("datasets", *parts),
            test_dir=Path("tests", "datasets", *parts),
            factory="_".join(parts),
            class_prefix="".join(word.capitalize() for part in parts for word in part.split("_")),
        )

    @property
    def package(self) -> str:
        return ".".join(self.package_dir.parts)

    @property
    def test_package(self) -> str:
        return ".".join(self.test_dir.parts)


EXAMPLE = IntegrationNames(
    dataset_id="example-gfs-coarse-forecast",
    title="Example coarse GFS-like forecast",
    package_dir=Path("datasets", "example"),
    test_dir=Path("tests", "datasets", "example"),
    factory="example_gfs_coarse_forecast",
    class_prefix="Example",
)


def rename(text: str, names: IntegrationNames) -> str:
    """The example's text with each of its names replaced by the new integration's."""
    for old, new in (
        (EXAMPLE.title, names.title),
        (EXAMPLE.dataset_id, names.dataset_id),
        (EXAMPLE.test_package, names.test_package),
        (EXAMPLE.test_dir.as_posix(), names.test_dir.as_posix()),
        (EXAMPLE.package, names.package),
        (EXAMPLE.package_dir.as_posix(), names.package_dir.as_posix()),
        (EXAMPLE.factory, names.factory),
    ):
        text = re.sub(rf"(?<![\w./]){re.escape(old)}\b", new, text)
    return re.sub(rf"\b{EXAMPLE.class_prefix}(?=[A-Z])", names.class_prefix, text)


def render_files(names: IntegrationNames, root: Path) -> dict[Path, str]:
    """Every file of the new integration, relative to the project root, from the example's files under `root`."""
    sources = {EXAMPLE.package_dir / name: names.package_dir / name for name in DATASET_FILES}
    sources |= {EXAMPLE.test_dir / name: names.test_dir / name for name in TEST_FILES}
    return {target: rename((root / source).read_text(), names) for source, target in sources.items()}


def missing_package_inits(names: IntegrationNames, root: Path) -> list[Path]:
    """The `__init__.py` files the new packages' parents still need (the dataset's own is rendered)."""
    parts = names.package_dir.parts[1:]
    parents = [Path("datasets", *parts[:depth]) for depth in (1, 2)]
    parents += [Path("tests", "datasets", *parts[:depth]) for depth in (1, 2, 3)]
    return [parent / "__init__.py" for parent in parents if not (root / parent / "__init__.py").exists()]


def check_new(names: IntegrationNames, root: Path, registered_ids: Iterable[str]) -> None:
    if names.dataset_id in set(registered_ids):
        raise UserInputError(f"dataset {names.dataset_id!r} is already registered: refusing to overwrite it")
    existing = [names.package_dir, *(names.test_dir / name for name in TEST_FILES)]
    for path in existing:
        if (root / path).exists():
            raise UserInputError(f"{path.as_posix()} already exists: refusing to overwrite it")


def scaffold(names: IntegrationNames, root: Path, registered_ids: Iterable[str]) -> list[Path]:
    """Write the integration's files under `root` and register it; returns the files written (relative)."""
    example = root / EXAMPLE.package_dir
    if not example.is_dir():
        raise UserInputError(f"{example} not found: run this from a checkout of the repository")
    check_new(names, root, registered_ids)
    files = render_files(names, root) | dict.fromkeys(missing_package_inits(names, root), "")
    files[REGISTRY] = register_dataset((root / REGISTRY).read_text(), names.package, names.factory)
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return list(files)


def format_python(root: Path, paths: Iterable[Path]) -> bool:
    """Format and sort imports with the project's ruff settings; False when ruff is not installed."""
    if importlib.util.find_spec("ruff") is None:
        return False
    targets = [str(path) for path in paths if path.suffix == ".py"]
    for command in (["check", "--fix", "--select", "I", "--quiet"], ["format", "--quiet"]):
        subprocess.run([sys.executable, "-m", "ruff", *command, *targets], cwd=root, check=True)
    return True


def write_checked_in_template(names: IntegrationNames) -> Path:
    """Import the new package (it must be under the running `datasets`) and render its templates/latest.zarr."""
    importlib.invalidate_caches()
    module = importlib.import_module(names.package)
    return getattr(module, names.factory)().template_config.update_template()


def next_steps(names: IntegrationNames, formatted: bool) -> list[str]:
    test_dir = names.test_dir.as_posix()
    steps = [] if formatted else ["uv run ruff check --fix . && uv run ruff format .   # ruff was not installed"]
    return [
        *steps,
        f"uv run pytest {test_dir}   # passes as generated, against a generated archive",
        "uv run main inspect-grib URL-OF-A-SOURCE-FILE   # the elements, levels and grid to put in the config",
        f"edit {names.package_dir.as_posix()}/*.py and {test_dir}/test_region_job.py "
        "(docs/dataset_integration_guide.md)",
        f"uv run main {names.dataset_id} update-template   # after every template_config change",
        f"set deployable=True in {names.package_dir.as_posix()}/dynamical_dataset.py once it reads the real archive, "
        "then: uv run main render-argo   # its Argo WorkflowTemplate and CronWorkflows",
        "uv run ruff format . && uv run ruff check . && uv run ty check && uv run pytest -n 2",
    ]
