from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.figure import Figure


def plot_map(field: xr.DataArray, path: Path, title: str) -> Path:
    """A latitude/longitude map of a 2-D field, written as PNG (no display needed)."""
    figure = Figure(figsize=(10, 5.2), layout="constrained")
    axes = figure.add_subplot()
    longitude, latitude = field["longitude"].values, field["latitude"].values
    image = axes.pcolormesh(longitude, latitude, np.ma.masked_invalid(field.values), shading="nearest", cmap="RdYlBu_r")
    figure.colorbar(
        image, ax=axes, label=f"{field.attrs.get('long_name', field.name)} [{field.attrs.get('units', '')}]"
    )
    axes.set(xlabel="longitude", ylabel="latitude", title=title, aspect="equal")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path
