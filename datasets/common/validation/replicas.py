import numpy as np
import xarray as xr
from pydantic import Field

from datasets.common.validation.check import CheckResult, ReplicaView, ValidationTarget, Validator, describe_positions
from datasets.common.validation.sampling import SpatialSample, sample_boxes


class CheckReplicaMatchesPrimary(Validator):
    """Each replica has the primary's variables and identical coordinates, and equal data where sampled.

    Data is compared at the newest `newest_positions` positions and `random_positions` older ones.
    """

    newest_positions: int = Field(default=2, ge=0)
    random_positions: int = Field(default=2, ge=0)
    sample: SpatialSample = SpatialSample(chunks=1)

    def run(self, target: ValidationTarget) -> list[CheckResult]:
        if not target.replicas:
            return [self.result(True, "no replicas configured")]
        return [self._compare(target, replica) for replica in target.replicas]

    def _compare(self, target: ValidationTarget, replica: ReplicaView) -> CheckResult:
        if replica.ds is None:
            return self.result(False, f"replica {replica.url}: {replica.error or 'nothing published'}")
        primary, copy = target.ds, replica.ds
        problems = []
        if set(primary.variables) != set(copy.variables):
            difference = sorted(map(str, set(primary.variables) ^ set(copy.variables)))
            problems.append(f"variables differ ({', '.join(difference)})")
        problems += [
            f"coordinate {name} differs"
            for name in sorted(map(str, primary.coords))
            if name in copy.coords and not primary[name].identical(copy[name])
        ]
        if not problems:
            indices = self._sampled_positions(len(target.positions))
            differing = [
                name
                for name in target.variables(())
                if not _sample_equal(primary[name], copy[name], indices, target, self.sample)
            ]
            if differing:
                problems.append(f"data differs in {describe_positions(differing)}")
        if problems:
            return self.result(False, f"replica {replica.url}: {'; '.join(problems)}")
        return self.result(True, f"replica {replica.url} matches")

    def _sampled_positions(self, extent: int) -> np.ndarray:
        newest = np.arange(max(0, extent - self.newest_positions), extent)
        older = extent - len(newest)
        rng = np.random.default_rng(self.sample.seed)
        picked = rng.choice(older, size=min(self.random_positions, older), replace=False) if older else []
        return np.unique(np.concatenate([np.asarray(picked, dtype=np.int64), newest]))


def _sample_equal(
    primary: xr.DataArray, copy: xr.DataArray, indices: np.ndarray, target: ValidationTarget, sample: SpatialSample
) -> bool:
    if primary.dims != copy.dims or primary.shape != copy.shape:
        return False
    for box in sample_boxes(primary, sample):
        selection = {target.append_dim: indices, **box}
        if not np.array_equal(primary.isel(selection).values, copy.isel(selection).values, equal_nan=True):
            return False
    return True
