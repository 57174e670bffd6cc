"""Rich tables for `main inspect-grib`."""

from collections import Counter

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipelines.authoring.grib_cubes import Hypercube
from pipelines.authoring.grib_fields import GribField
from pipelines.authoring.grib_inspection import GribReport


def _eccodes(field: GribField) -> str:
    keys = field.keys
    level = f"{keys.get('typeOfLevel', '?')}={keys.get('level', '?')}"
    step = f"{keys.get('stepType', '?')} {keys.get('stepRange', '?')}"
    return f"{keys.get('shortName', '?')} {level} {step} [{keys.get('units', '')}]"


def _parameter(field: GribField) -> str:
    keys = field.keys
    if "discipline" not in keys:
        return "-"
    code = ".".join(keys.get(k, "?") for k in ("discipline", "parameterCategory", "parameterNumber"))
    return f"{code} / {keys.get('typeOfFirstFixedSurface', '?')}"


def _idx(field: GribField) -> str:
    if field.idx_line is None:
        return f"- (wgrib2: {field.wgrib2})" if field.wgrib2 else "-"
    if field.idx_agrees is False:
        return f"{escape(field.idx_line)}\n[red]message says {escape(field.wgrib2 or '')}[/red]"
    return escape(field.idx_line)


def _grid(field: GribField) -> str:
    grid = field.grid
    return f"{grid.grid_type} {grid.ni}x{grid.nj}" if grid is not None else "-"


def fields_table(fields: tuple[GribField, ...]) -> Table:
    table = Table(
        "#",
        ".idx line",
        "eccodes: shortName typeOfLevel=level stepType stepRange [units]",
        "d.c.n / surface",
        "grid",
        "cube",
    )
    table.title = "Fields: each message's fields (NCEP U+V messages hold two) and their .idx lines"
    for field in fields:
        cube = str(field.hypercube) if field.hypercube is not None else "[yellow]none[/yellow]"
        table.add_row(field.label, _idx(field), escape(_eccodes(field)), _parameter(field), _grid(field), cube)
    return table


def _coordinates(cube: Hypercube) -> str:
    parts = []
    for coord in cube.coordinates:
        if coord.name in ("latitude", "longitude") or coord.dims == ("y", "x"):
            continue
        values = str(coord.first) if coord.size == 1 else f"{coord.first} … {coord.last} ({coord.size})"
        parts.append(f"{coord.name}: {values}")
    return "\n".join(parts)


def cubes_table(cubes: tuple[Hypercube, ...]) -> Table:
    table = Table("cube", "variables (name: shortName, units)", "dims", "levels, steps, times", "grid")
    table.title = "Hypercubes: what cfgrib.open_datasets (xarray) makes of the file"
    for cube in cubes:
        variables = "\n".join(
            f"{v.name}: {v.attrs.get('GRIB_shortName', '?')} [{v.attrs.get('units', '')}]" for v in cube.variables
        )
        dims = ", ".join(f"{k}={v}" for k, v in cube.dims.items())
        grid = cube.grid
        shape = f"{grid.get('gridType', '?')} {grid.get('Nx', '?')}x{grid.get('Ny', '?')}"
        table.add_row(str(cube.index), escape(variables), dims, escape(_coordinates(cube)), shape)
    return table


def print_report(report: GribReport, console: Console) -> None:
    console.print(f"[bold]{escape(report.url)}[/bold]")
    console.print(f"index: {escape(report.idx_url) if report.idx_url else 'none (no .idx next to the file)'}")
    matching = f" matching {report.match!r}" if report.match else ""
    console.print(
        f"{report.messages} messages, {len(report.fields)} fields{escape(matching)}, "
        f"{len(report.hypercubes)} hypercubes"
    )
    console.print(fields_table(report.fields))
    grids = Counter(repr(f.grid) for f in report.fields if f.grid is not None)
    for grid, count in grids.items():
        console.print(f"{count} fields on {escape(grid)}")
    console.print(cubes_table(report.hypercubes))
    if report.statistics:
        table = Table("#", "points", "NaN", "min", "max", "mean", title="Statistics of the chosen fields")
        for stats in report.statistics:
            numbers = [f"{v:.6g}" if v is not None else "-" for v in (stats.minimum, stats.maximum, stats.mean)]
            table.add_row(stats.label, str(stats.size), str(stats.nan_count), *numbers)
        console.print(table)
