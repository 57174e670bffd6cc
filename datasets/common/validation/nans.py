import numpy as np
from pydantic import Field

from datasets.common.validation.check import (
    CheckResult,
    ValidationTarget,
    Validator,
    describe_positions,
    iso,
    positions_of,
)
from datasets.common.validation.sampling import EXPECTED, INGESTED, SpatialSample, scan_presence


class CheckRecentNans(Validator):
    """The NaN fraction of each of the newest `window` positions stays at or under its limit, per variable.

    Limits: `tiers` for the newest positions (newest first), `max_nan_fraction` for the rest of the window.
    Only expected values count: lead times up to `ingested_forecast_length` where the dataset has it, and
    never lead 0 of a variable without an hour-0 value.
    """

    window: int = Field(default=1, ge=1)
    max_nan_fraction: float = Field(default=0.0, ge=0, le=1)
    tiers: tuple[float, ...] = ()
    sample: SpatialSample = SpatialSample()
    variables: tuple[str, ...] = ()

    def limit(self, age: int) -> float:
        return self.tiers[age] if age < len(self.tiers) else self.max_nan_fraction

    def run(self, target: ValidationTarget) -> list[CheckResult]:
        extent = len(target.positions)
        indices = np.arange(max(0, extent - self.window), extent)
        if not len(indices):
            return [self.result(False, "no positions published")]
        results = []
        for name in target.variables(self.variables):
            fractions = scan_presence(target, name, indices, self.sample, "ingested").nan_fraction
            limits = np.array([self.limit(extent - 1 - int(i)) for i in indices])
            failing = np.flatnonzero(fractions > limits)
            if len(failing):
                details = ", ".join(
                    f"{iso(target.positions[indices[i]])} {fractions[i]:.1%} (limit {limits[i]:.1%})" for i in failing
                )
                results.append(
                    self.result(
                        False, f"NaN fraction over the limit: {details}", name, positions_of(target, indices[failing])
                    )
                )
            else:
                results.append(
                    self.result(True, f"newest {len(indices)} positions: at most {fractions.max():.1%} NaN", name)
                )
        return results


class CheckHoles(Validator):
    """Scan the whole append dim (a sample of each position) and list positions whose data is missing.

    A position is a hole for a variable when more than `max_nan_fraction` of its expected sampled values
    are NaN. Positions (but the newest, which an update may still extend) whose `ingested_forecast_length`
    is missing or shorter than `expected_forecast_length` are listed too.
    """

    max_nan_fraction: float = Field(default=0.0, ge=0, le=1)
    sample: SpatialSample = SpatialSample(chunks=1)
    variables: tuple[str, ...] = ()

    def run(self, target: ValidationTarget) -> list[CheckResult]:
        indices = np.arange(len(target.positions))
        results = []
        for name in target.variables(self.variables):
            fractions = scan_presence(target, name, indices, self.sample, "ingested").nan_fraction
            holes = positions_of(target, np.flatnonzero(fractions > self.max_nan_fraction))
            if holes:
                message = f"{len(holes)} of {len(indices)} positions missing data: {describe_positions(holes)}"
                results.append(self.result(False, message, name, holes))
            else:
                results.append(self.result(True, f"no holes in {len(indices)} positions", name))
        if INGESTED in target.ds.coords and EXPECTED in target.ds.coords:
            results.append(self._short_forecasts(target))
        return results

    def _short_forecasts(self, target: ValidationTarget) -> CheckResult:
        ingested = target.ds[INGESTED].values[:-1].astype("timedelta64[ns]")
        expected = target.ds[EXPECTED].values[:-1].astype("timedelta64[ns]")
        short = positions_of(target, np.flatnonzero(np.isnat(ingested) | (ingested < expected)))
        if short:
            message = f"{len(short)} positions ingested short of {EXPECTED}: {describe_positions(short)}"
            return self.result(False, message, INGESTED, short)
        return self.result(True, f"every position before the newest is ingested to {EXPECTED}", INGESTED)
