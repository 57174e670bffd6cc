"""Real large-scale structure for generated archives: fields of one real GFS forecast on its 2.5 degree grid (the
messages in earth_sample/, see its PROVENANCE.md), interpolated to any point. Land and sea points are interpolated
apart, so a field keeps sharp coastlines on a finer grid."""

import functools
from pathlib import Path

import numpy as np

from datasets.common.config_models import FrozenBaseModel
from datasets.common.sources.grib import decode_message
from datasets.common.sources.noaa_idx import parse_idx
from datasets.common.sources.synthetic_grids import ArchiveGrid
from datasets.common.transforms.regrid import axis_weights

SAMPLE = Path(__file__).with_name("earth_sample") / "gfs.t12z.pgrbf120.2p5deg.subset.grib2"
SAMPLE_GRID = ArchiveGrid(resolution=2.5)
LAND = "LAND:surface"


class EarthField(FrozenBaseModel):
    """A field of the sample standing in for a variable's spatial structure, as `scale * value + add`."""

    key: str  # "ELEMENT:level", as the sample's .idx names the field
    scale: float = 1.0
    add: float = 0.0


@functools.cache
def sample_field(key: str) -> np.ndarray:
    """The field's values on the sample grid, rows north to south from longitude 0."""
    matches = [
        m for m in parse_idx(SAMPLE.with_name(SAMPLE.name + ".idx").read_text()) if f"{m.element}:{m.level}" == key
    ]
    assert len(matches) == 1, f"the earth sample has no single field {key!r}"
    message = SAMPLE.read_bytes()[matches[0].start : matches[0].end]
    values = decode_message(message, SAMPLE_GRID.grid_spec(), sub_message=matches[0].sub_message).astype(np.float64)
    values.flags.writeable = False
    return values


def earth_values(field: EarthField, latitude: np.ndarray, longitude: np.ndarray) -> np.ndarray:
    """`field` at each point: the bilinear mean of the neighbours on the point's side of the coast."""
    values, land = sample_field(field.key), sample_field(LAND) > 0.5
    lat_low, lat_high, lat_weight = axis_weights(SAMPLE_GRID.latitudes, latitude.ravel(), None)
    lon_low, lon_high, lon_weight = axis_weights(SAMPLE_GRID.longitudes, longitude.ravel(), 360.0)
    corners = [
        (lat_low, lon_low, (1 - lat_weight) * (1 - lon_weight)),
        (lat_low, lon_high, (1 - lat_weight) * lon_weight),
        (lat_high, lon_low, lat_weight * (1 - lon_weight)),
        (lat_high, lon_high, lat_weight * lon_weight),
    ]
    on_land = sum(weight * land[rows, columns] for rows, columns, weight in corners) >= 0.5
    total = np.zeros(latitude.size)
    weights = np.zeros(latitude.size)
    for rows, columns, weight in corners:
        same_side = np.where(land[rows, columns] == on_land, weight, 0.0)
        total += same_side * values[rows, columns]
        weights += same_side
    return (field.scale * (total / weights) + field.add).reshape(latitude.shape)
