"""How variables of DWD open data are declared: their directory, GRIB identity and statistic."""

from collections.abc import Mapping
from typing import Literal, Unpack

import pandas as pd
from pydantic import model_validator

from datasets.common.config_models import (
    BaseInternalAttrs,
    DataVar,
    DataVarDeclaration,
    DataVarDeclarations,
    StepType,
)
from datasets.common.sources.grib import ExpectedField
from datasets.common.sources.noaa_idx import instant_forecast_text, window_forecast_text
from datasets.common.timestamps import timedelta
from datasets.common.transforms.units import UnitConversion

# How DWD encodes a statistical field: totals and means run from the init time, maxima from the previous output step.
type DwdStatistic = Literal["accumulation_since_init", "average_since_init", "maximum_since_previous_output"]


class DwdInternalAttrs(BaseInternalAttrs):
    """Where a variable lives on DWD's server and how its GRIB message must identify itself. Totals and means since
    the init time are stored per lead time interval (deaccumulated or deaveraged)."""

    dwd_param: str  # lower case, as in the directory name; file names spell it in upper case
    grib_parameter: tuple[int, int, int]  # (discipline, parameterCategory, parameterNumber)
    grib_level: str  # the level as wgrib2 names it, e.g. "2 m above ground"
    statistic: DwdStatistic | None = None  # None: an instant field

    @model_validator(mode="after")
    def _statistics_since_init_become_intervals(self) -> "DwdInternalAttrs":
        assert self.deaccumulate_to_rate == (self.statistic == "accumulation_since_init"), "totals deaccumulate"
        assert self.deaverage == (self.statistic == "average_since_init"), "means since the init deaverage"
        assert self.window_reset_hours is None, "statistics since the init never restart"
        return self

    @property
    def has_hour_0_values(self) -> bool:
        return self.statistic is None

    def expected_field(self, lead_time: pd.Timedelta, previous_lead_time: pd.Timedelta | None) -> ExpectedField:
        match self.statistic:
            case None:
                forecast = instant_forecast_text(lead_time)
            case "accumulation_since_init":
                forecast = window_forecast_text(lead_time, timedelta(0), "acc")
            case "average_since_init":
                forecast = window_forecast_text(lead_time, timedelta(0), "ave")
            case "maximum_since_previous_output":
                assert previous_lead_time is not None, f"{self.dwd_param}: a maximum needs the previous output step"
                forecast = window_forecast_text(lead_time, previous_lead_time, "max")
        return ExpectedField(level=self.grib_level, forecast=forecast)


type DwdDataVar = DataVar[DwdInternalAttrs]


STATISTIC_STEP_TYPES: dict[DwdStatistic | None, StepType] = {
    None: "instant",
    "accumulation_since_init": "avg",
    "average_since_init": "avg",
    "maximum_since_previous_output": "max",
}


class DwdVariables(DataVarDeclarations):
    """Declares a dataset's DWD variables: their shared encoding and a comment per statistic, and, by keyword, each
    variable's name, attributes, DWD identity and transforms."""

    statistic_comments: Mapping[DwdStatistic, str] = {}

    def var(
        self,
        *,
        dwd_param: str,
        grib_parameter: tuple[int, int, int],
        grib_level: str,
        statistic: DwdStatistic | None = None,
        unit_conversion: UnitConversion | None = None,
        keep_mantissa_bits: int | Literal["no-rounding"] = 7,
        **declaration: Unpack[DataVarDeclaration],
    ) -> DwdDataVar:
        """Totals since the init time are stored as the average rate since the previous lead time, means since the
        init time as the mean over it."""
        step_type = STATISTIC_STEP_TYPES[statistic]
        assert declaration.setdefault("step_type", step_type) == step_type, f"a {statistic}'s step type"
        declaration.setdefault("comment", self.statistic_comments.get(statistic) if statistic else None)
        return self.declare(
            DwdInternalAttrs(
                dwd_param=dwd_param,
                grib_parameter=grib_parameter,
                grib_level=grib_level,
                statistic=statistic,
                deaccumulate_to_rate=statistic == "accumulation_since_init",
                deaverage=statistic == "average_since_init",
                unit_conversion=unit_conversion,
                keep_mantissa_bits=keep_mantissa_bits,
            ),
            **declaration,
        )
