"""How variables of ECMWF open data are declared: where each is in a file's JSON-lines `.index`."""

from typing import Any, Literal, Unpack

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
from datasets.ecmwf.ecmwf_parameters import STANDARD_VARIABLES


class IndexParamOverride(FrozenBaseModel):
    """A different `.index` param for lead times in [first, last] (e.g. 10fg3 where the gust window is 3 h)."""

    first: pd.Timedelta
    last: pd.Timedelta
    param: str


class SourceScale(FrozenBaseModel):
    """The source published the variable in other units before an init time: its values times `factor` are in the
    units of later ones (e.g. metres of water before millimetres)."""

    before: pd.Timestamp
    factor: float


class EcmwfInternalAttrs(BaseInternalAttrs):
    """Where a variable lives in the open-data `.index`. Running totals run from the init time and never restart."""

    index_param: str
    index_levtype: Literal["sfc", "pl"] = "sfc"
    index_levelist: str | None = None
    index_param_overrides: tuple[IndexParamOverride, ...] = ()
    values_at_lead_0: bool = True
    available_from: pd.Timestamp | None = None  # the first init time the source publishes it for
    source_scales: tuple[SourceScale, ...] = ()

    @property
    def has_hour_0_values(self) -> bool:
        return self.values_at_lead_0

    def index_param_at(self, lead_time: pd.Timedelta) -> str:
        for override in self.index_param_overrides:
            if override.first <= lead_time <= override.last:
                return override.param
        return self.index_param

    def source_scale_at(self, init_time: pd.Timestamp) -> float | None:
        """The factor a message of this init time is read with, if its units differ from the later ones."""
        factors = [s.factor for s in self.source_scales if init_time < s.before]
        assert len(factors) <= 1, f"source scales overlap at {init_time}: {self.source_scales}"
        return factors[0] if factors else None

    def available(self, init_time: pd.Timestamp, lead_time: pd.Timedelta) -> bool:
        if self.available_from is not None and init_time < self.available_from:
            return False
        return self.values_at_lead_0 or lead_time > pd.Timedelta(0)


type EcmwfDataVar = DataVar[EcmwfInternalAttrs]


class EcmwfVariables(DataVarDeclarations):
    """Declares a dataset's ECMWF variables: their shared encoding and, by keyword, each variable's name,
    attributes, `.index` identity (the param is the variable's short name unless `param` says otherwise) and
    transforms."""

    def var(
        self,
        *,
        param: str | None = None,
        levtype: Literal["sfc", "pl"] = "sfc",
        levelist: str | None = None,
        index_param_overrides: tuple[IndexParamOverride, ...] = (),
        values_at_lead_0: bool = True,
        running_total: bool = False,
        negative_rate_tolerance: float = NEGATIVE_RATE_TOLERANCE,
        unit_conversion: UnitConversion | None = None,
        available_from: pd.Timestamp | None = None,
        source_scales: tuple[SourceScale, ...] = (),
        keep_mantissa_bits: int | Literal["no-rounding"] = 7,
        **declaration: Unpack[DataVarDeclaration],
    ) -> EcmwfDataVar:
        """A running total (since the init time, never restarting) is stored as the average rate since the previous
        lead time."""
        return self.declare(
            EcmwfInternalAttrs(
                index_param=param or declaration["short_name"],
                index_levtype=levtype,
                index_levelist=levelist,
                index_param_overrides=index_param_overrides,
                values_at_lead_0=values_at_lead_0,
                deaccumulate_to_rate=running_total,
                negative_rate_tolerance=negative_rate_tolerance,
                unit_conversion=unit_conversion,
                available_from=available_from,
                source_scales=source_scales,
                keep_mantissa_bits=keep_mantissa_bits,
            ),
            **declaration,
        )

    def standard(self, name: str, **overrides: Any) -> EcmwfDataVar:
        """The variable `name` as ecmwf_parameters.STANDARD_VARIABLES declares it, with `overrides` (keywords of
        `var`) for what this dataset's source does differently."""
        return self.var(**(STANDARD_VARIABLES[name] | overrides))
