import numpy as np

from datasets.common.config_models import FrozenBaseModel
from datasets.common.validation.check import ValidationTarget, iso
from datasets.common.validation.sampling import SpatialSample, scan_presence


class Availability(FrozenBaseModel):
    """Fraction of the expected data present per variable and append-dim position (None: nothing expected).

    Expected means the full extent: lead times up to `expected_forecast_length` where the dataset has it,
    never lead 0 of a variable without an hour-0 value. Values come from a spatial sample of each position.
    """

    append_dim: str
    positions: tuple[str, ...]
    fraction_present: dict[str, tuple[float | None, ...]]


def availability(target: ValidationTarget, sample: SpatialSample | None = None) -> Availability:
    sample = sample or SpatialSample(chunks=1)
    indices = np.arange(len(target.positions))
    fractions = {}
    for name in target.variables(()):
        present = scan_presence(target, name, indices, sample, "full").present_fraction
        fractions[name] = tuple(None if np.isnan(f) else round(float(f), 4) for f in present)
    return Availability(
        append_dim=target.append_dim,
        positions=tuple(iso(v) for v in target.positions),
        fraction_present=fractions,
    )
