"""`main initialize-new-integration`: render a working dataset package and its test from templates/."""

import importlib
import importlib.util
import keyword
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import UserInputError
from pipelines.authoring.registry_edit import register_dataset

NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
RESERVED_PROVIDERS = frozenset({"common", "example"})
TEMPLATES = Path("templates") / "new_integration"
REGISTRY = Path("datasets") / "registry.py"
# Rendered from TEMPLATES/dataset/NAME.jinja into the dataset's package and TEMPLATES/tests/NAME.jinja into its tests.
DATASET_FILES = ("__init__.py", "template_config.py", "region_job.py", "dynamical_dataset.py")
TEST_FILES = ("test_region_job.py",)


class IntegrationNames(FrozenBaseModel):
    provider: str
    model: str
    variant: str

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
        return cls(provider=provider, model=model, variant=variant)

    @property
    def parts(self) -> tuple[str, str, str]:
        return (self.provider, self.model, self.variant)

    @property
    def dataset_id(self) -> str:
        return "-".join(self.parts).replace("_", "-")

    @property
    def package(self) -> str:
        return "datasets." + ".".join(self.parts)

    @property
    def factory(self) -> str:
        return "_".join(self.parts)

    @property
    def class_prefix(self) -> str:
        return "".join(word.capitalize() for part in self.parts for word in part.split("_"))

    @property
    def title(self) -> str:
        return " ".join(word.capitalize() for part in self.parts for word in part.split("_"))

    @property
    def package_dir(self) -> Path:
        return Path("datasets", *self.parts)

    @property
    def test_dir(self) -> Path:
        return Path("tests", "datasets", *self.parts)


def render_files(names: IntegrationNames, templates_dir: Path) -> dict[Path, str]:
    """Every file of the new integration, relative to the project root."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    context: dict[str, Any] = {"names": names}
    files = {
        names.package_dir / name: environment.get_template(f"dataset/{name}.jinja").render(context)
        for name in DATASET_FILES
    }
    files |= {
        names.test_dir / name: environment.get_template(f"tests/{name}.jinja").render(context) for name in TEST_FILES
    }
    return files


def missing_package_inits(names: IntegrationNames, root: Path) -> list[Path]:
    """The `__init__.py` files the new packages' parents still need (the dataset's own is rendered)."""
    parents = [Path("datasets", *names.parts[:depth]) for depth in (1, 2)]
    parents += [Path("tests", "datasets", *names.parts[:depth]) for depth in (1, 2, 3)]
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
    templates_dir = root / TEMPLATES
    if not templates_dir.is_dir():
        raise UserInputError(f"{templates_dir} not found: run this from a checkout of the repository")
    check_new(names, root, registered_ids)
    files = render_files(names, templates_dir) | dict.fromkeys(missing_package_inits(names, root), "")
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
        "uv run main render-argo   # the dataset's Argo WorkflowTemplate and CronWorkflows",
        "uv run ruff format . && uv run ruff check . && uv run ty check && uv run pytest -n 2",
    ]
