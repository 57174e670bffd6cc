"""AIFS Single open data: one file per lead time holding the single forecast (stream oper, type fc)."""

from typing import ClassVar

import pandas as pd
import xarray as xr

from datasets.common.timestamps import timestamp
from datasets.ecmwf.aifs_single.forecast.template_config import AIFS_SINGLE_FROM
from datasets.ecmwf.ecmwf_region_job import EcmwfRegionJob, EcmwfSourceFileCoord, IndexKey, open_data_stem

# The aifs-single files left their experimental/ folder with AIFS Single v1 going operational.
AIFS_SINGLE_OPERATIONAL_FROM = timestamp("2025-02-25T06:00")


def aifs_model_path(init_time: pd.Timestamp) -> str:
    """The `{model}/{resol}/{stream}` part of the path, which moved twice."""
    if init_time < AIFS_SINGLE_FROM:
        return "aifs/0p25/oper"
    if init_time < AIFS_SINGLE_OPERATIONAL_FROM:
        return "aifs-single/0p25/experimental/oper"
    return "aifs-single/0p25/oper"


class AifsSingleSourceFileCoord(EcmwfSourceFileCoord):
    def relative_stem(self) -> str:
        return open_data_stem(self.init_time, self.lead_time, aifs_model_path(self.init_time), "oper-fc")


class EcmwfAifsSingleForecastRegionJob(EcmwfRegionJob[AifsSingleSourceFileCoord]):
    # One variable of one init is 61 x 721 x 1440 float32 = 253 MB: two in flight fit a pod easily.
    max_vars_per_group: ClassVar[int] = 4

    def coords_at(
        self, init_time: pd.Timestamp, lead_time: pd.Timedelta, fields: tuple[IndexKey, ...], processing_ds: xr.Dataset
    ) -> list[AifsSingleSourceFileCoord]:
        assert self.source_url is not None
        return [
            AifsSingleSourceFileCoord(base_url=self.source_url, init_time=init_time, lead_time=lead_time, fields=fields)
        ]
