import numpy as np
import pandas as pd

from datasets.common.validation.check import CheckResult, ValidationTarget, Validator, iso
from datasets.common.validation.sampling import INGESTED


class CheckCurrentData(Validator):
    """The newest append-dim position due by now (at least `max_delay` old) is published and has data."""

    max_delay: pd.Timedelta

    def run(self, target: ValidationTarget) -> list[CheckResult]:
        due_by = target.now - self.max_delay
        if due_by < target.append_dim_start:
            return [self.result(True, f"nothing due yet: the dataset starts at {iso(target.append_dim_start)}")]
        steps = (due_by - target.append_dim_start) // target.append_dim_frequency
        due = target.append_dim_start + steps * target.append_dim_frequency
        positions = target.positions
        newest = positions[-1] if len(positions) else None
        if newest is None or newest < due:
            have = f"newest {target.append_dim} is {iso(newest)}" if newest is not None else "nothing is published"
            return [
                self.result(
                    False,
                    f"{have}; {iso(due)} was due by {iso(due + self.max_delay)} (now {iso(target.now)})",
                    None,
                    [iso(due)],
                )
            ]
        if INGESTED in target.ds.coords and due in positions:
            ingested = target.ds[INGESTED].values[positions.get_loc(due)]
            if np.isnat(ingested):
                return [self.result(False, f"{iso(due)} is published but {INGESTED} is missing", None, [iso(due)])]
        return [self.result(True, f"newest {target.append_dim} {iso(newest)}; {iso(due)} was due")]
