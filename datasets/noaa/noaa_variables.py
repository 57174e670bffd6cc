"""How NOAA variables are declared: their `.idx` identity and the transforms their window implies."""

from collections.abc import Mapping
from typing import Any, Literal, Unpack

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
from datasets.common.sources.noaa_idx import WindowKind, forecast_text
from datasets.common.transforms.units import UnitConversion

# What a field's window makes of its values: accumulations are stored as rates.
WINDOW_STEP_TYPES: dict[WindowKind | None, StepType] = {
    None: "instant",
    "acc": "avg",
    "ave": "avg",
    "max": "max",
    "min": "min",
}


class NoaaInternalAttrs(BaseInternalAttrs):
    """Where a variable lives in a NOAA file: its `.idx` identity. A windowed field's window restarts every
    `window_reset_hours`."""

    grib_element: str
    grib_index_level: str
    window_kind: WindowKind | None = None  # None: an instant field
    # Elements that carry the same field in some files (older files may use another name).
    alternative_grib_elements: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent_window(self) -> "NoaaInternalAttrs":
        assert (self.window_kind is None) == (self.window_reset_hours is None), "a window needs a reset period"
        assert not self.deaccumulate_to_rate or self.window_kind == "acc", "only accumulations deaccumulate"
        assert not self.deaverage or self.window_kind == "ave", "only window averages deaverage"
        return self

    @property
    def has_hour_0_values(self) -> bool:
        return self.window_kind is None

    def expected_field(self, lead_time: pd.Timedelta) -> ExpectedField:
        forecast = forecast_text(lead_time, self.window_kind, self.window_reset_hours)
        return ExpectedField(
            element=self.grib_element,
            level=self.grib_index_level,
            forecast=forecast,
            alternative_elements=self.alternative_grib_elements,
        )


type NoaaDataVar = DataVar[Any]  # a DataVar whose internal_attrs is a NoaaInternalAttrs (or a subclass)


class NoaaVariables(DataVarDeclarations):
    """Declares a dataset's NOAA variables: what they share (encoding, how often windows restart, a comment per
    window kind), and, by keyword, each variable's name, attributes, `.idx` identity and transforms."""

    window_reset_hours: int
    window_comments: Mapping[WindowKind, str] = {}

    def var(
        self,
        *,
        element: str,
        level: str,
        window: WindowKind | None = None,
        unit_conversion: UnitConversion | None = None,
        keep_mantissa_bits: int | Literal["no-rounding"] = 7,
        alternative_elements: tuple[str, ...] = (),
        **declaration: Unpack[DataVarDeclaration],
    ) -> NoaaDataVar:
        """`element` and `level` as the `.idx` names them; a windowed field (`window`) has no value at lead 0, and
        an accumulation (`window="acc"`) is stored as the average rate since the previous step."""
        step_type = WINDOW_STEP_TYPES[window]
        assert declaration.setdefault("step_type", step_type) == step_type, f"a {window} window's step type"
        comments = (declaration.get("comment"), self.window_comments.get(window) if window else None)
        declaration["comment"] = " ".join(c for c in comments if c) or None
        return self.declare(
            NoaaInternalAttrs(
                grib_element=element,
                grib_index_level=level,
                window_kind=window,
                window_reset_hours=self.window_reset_hours if window else None,
                deaccumulate_to_rate=window == "acc",
                unit_conversion=unit_conversion,
                keep_mantissa_bits=keep_mantissa_bits,
                alternative_grib_elements=alternative_elements,
            ),
            **declaration,
        )

    def categorical(
        self, *, name: str, long_name: str, short_name: str, element: str, kind: str, window: WindowKind | None = None
    ) -> NoaaDataVar:
        """A 0/1 surface field, 1 where `kind` (e.g. freezing_rain) occurred: at the valid time or in the window."""
        when = "occurred at any time in the window" if window else "falls at the valid time"
        return self.var(
            name=name,
            long_name=long_name,
            short_name=short_name,
            units="1",
            flags={0: f"no_{kind}", 1: kind},
            comment=f"1 where {kind.replace('_', ' ')} {when}, else 0.",
            element=element,
            level="surface",
            window=window,
            keep_mantissa_bits="no-rounding",
        )
