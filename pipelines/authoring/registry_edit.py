"""Add a dataset to `datasets/registry.py`: one import and one list entry in `_load()`, kept sorted and formatted."""

import ast
import re

from datasets.common.errors import UserInputError

LOAD_FUNCTION = "_load"


def natural_key(module: str) -> list[int | str]:
    """Module order as ruff's isort sorts it: case-insensitive, digit runs compared as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", module.lower())]


def _load_function(tree: ast.Module) -> ast.FunctionDef:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == LOAD_FUNCTION:
            return node
    raise UserInputError(f"datasets/registry.py has no {LOAD_FUNCTION}() to register the dataset in")


def register_dataset(source: str, module: str, factory: str) -> str:
    """`source` with `from {module} import {factory}` among `_load()`'s imports and `{factory}()` appended
    to the list it returns."""
    load = _load_function(ast.parse(source))
    imports = [node for node in load.body if isinstance(node, ast.ImportFrom)]
    returned = next((node for node in load.body if isinstance(node, ast.Return)), None)
    if not imports or returned is None or not isinstance(returned.value, ast.List):
        raise UserInputError(f"datasets/registry.py: {LOAD_FUNCTION}() must import datasets and return a list")
    if any(node.module == module for node in imports):
        raise UserInputError(f"{module} is already registered in datasets/registry.py")

    lines = source.splitlines(keepends=True)
    entries = [ast.get_source_segment(source, element) for element in returned.value.elts]
    indent = " " * returned.col_offset
    rendered = [
        f"{indent}return [\n",
        *(f"{indent}    {entry},\n" for entry in [*entries, f"{factory}()"]),
        f"{indent}]\n",
    ]
    lines[returned.lineno - 1 : returned.end_lineno] = rendered

    later = [node for node in imports if natural_key(node.module or "") > natural_key(module)]
    line_index = later[0].lineno - 1 if later else (imports[-1].end_lineno or imports[-1].lineno)
    lines.insert(line_index, f"{' ' * imports[0].col_offset}from {module} import {factory}\n")
    return "".join(lines)
