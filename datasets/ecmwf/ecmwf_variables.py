"""How variables of ECMWF open data are declared: where each is in a file's JSON-lines `.index`."""

from typing import Literal, Unpack

import pandas as pd

from datasets.common.config_models import (
    BaseInternalAttrs,
    DataVar,
    DataVarDeclaration,
    DataVarDeclarations,
    FrozenBaseModel,
)
from datasets.common.transforms.deaccumulation import NEGATIVE_RATE_TOLERANCE
from datasets.common.transforms.units import UnitConversion


class IndexParamOverride(FrozenBaseModel):
    """A different `.index` param for lead times in [first, last] (e.g. 10fg3 where the gust window is 3 h)."""

    first: pd.Timedelta
    last: pd.Timedelta
    param: str


class EcmwfInternalAttrs(BaseInternalAttrs):
    """Where a variable lives in the open-data `.index`. Running totals run from the init time and never restart."""

    index_param: str
    index_levtype: Literal["sfc", "pl"] = "sfc"
    index_levelist: str | None = None
    index_param_overrides: tuple[IndexParamOverride, ...] = ()
    values_at_lead_0: bool = True
    available_from: pd.Timestamp | None = None  # the first init time the source publishes it for

    @property
    def has_hour_0_values(self) -> bool:
        return self.values_at_lead_0

    def index_param_at(self, lead_time: pd.Timedelta) -> str:
        for override in self.index_param_overrides:
            if override.first <= lead_time <= override.last:
                return override.param
        return self.index_param

    def available(self, init_time: pd.Timestamp, lead_time: pd.Timedelta) -> bool:
        if self.available_from is not None and init_time < self.available_from:
            return False
        return self.values_at_lead_0 or lead_time > pd.Timedelta(0)


type EcmwfDataVar = DataVar[EcmwfInternalAttrs]


class EcmwfVariables(DataVarDeclarations):
    """Declares a dataset's ECMWF variables: their shared encoding and, by keyword, each variable's name,
    attributes, `.index` identity (the param is the variable's short name) and transforms."""

    def var(
        self,
        *,
        levtype: Literal["sfc", "pl"] = "sfc",
        levelist: str | None = None,
        index_param_overrides: tuple[IndexParamOverride, ...] = (),
        values_at_lead_0: bool = True,
        running_total: bool = False,
        negative_rate_tolerance: float = NEGATIVE_RATE_TOLERANCE,
        unit_conversion: UnitConversion | None = None,
        available_from: pd.Timestamp | None = None,
        keep_mantissa_bits: int | Literal["no-rounding"] = 7,
        **declaration: Unpack[DataVarDeclaration],
    ) -> EcmwfDataVar:
        """A running total (since the init time, never restarting) is stored as the average rate since the previous
        lead time."""
        return self.declare(
            EcmwfInternalAttrs(
                index_param=declaration["short_name"],
                index_levtype=levtype,
                index_levelist=levelist,
                index_param_overrides=index_param_overrides,
                values_at_lead_0=values_at_lead_0,
                deaccumulate_to_rate=running_total,
                negative_rate_tolerance=negative_rate_tolerance,
                unit_conversion=unit_conversion,
                available_from=available_from,
                keep_mantissa_bits=keep_mantissa_bits,
            ),
            **declaration,
        )
