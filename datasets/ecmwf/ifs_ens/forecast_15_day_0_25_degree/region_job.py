"""IFS ENS open data: one file per lead time holding every member; the JSON-lines `.index` gives exact ranges."""

from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd
import xarray as xr

from datasets.common.timestamps import timestamp
from datasets.ecmwf.ecmwf_region_job import (
    S3_BASE_URL,
    EcmwfRegionJob,
    EcmwfSourceFileCoord,
    IndexKey,
    open_data_stem,
)

__all__ = ["S3_BASE_URL", "EcmwfIfsEnsForecast15Day025DegreeRegionJob", "IfsEnsSourceFileCoord", "IndexKey"]

# From IFS cycle 50r1 the ENS control is the one `oper` forecast: published as oper-fc (type fc), not enfo cf.
CONTROL_IN_OPER_FROM = timestamp("2026-05-12T06:00")


class IfsEnsSourceFileCoord(EcmwfSourceFileCoord):
    """One member's fields in one lead time's file."""

    ensemble_member: int

    @property
    def control_in_oper(self) -> bool:
        return self.ensemble_member == 0 and self.init_time >= CONTROL_IN_OPER_FROM

    @property
    def index_member(self) -> int:
        return self.ensemble_member

    @property
    def message_member(self) -> int | None:
        # An oper-fc message is a single forecast with no ensemble number to check.
        return None if self.control_in_oper else self.ensemble_member

    def relative_stem(self) -> str:
        if self.control_in_oper:
            return open_data_stem(self.init_time, self.lead_time, "ifs/0p25/oper", "oper-fc")
        return open_data_stem(self.init_time, self.lead_time, "ifs/0p25/enfo", "enfo-ef")

    def out_loc(self) -> Mapping[str, Any]:
        return {**super().out_loc(), "ensemble_member": self.ensemble_member}


class EcmwfIfsEnsForecast15Day025DegreeRegionJob(EcmwfRegionJob[IfsEnsSourceFileCoord]):
    # One variable of one init is 85 x 51 x 721 x 1440 float32 = 18 GB. Members and leads are whole in a shard, so
    # blocks split latitude and longitude: two variables in flight hold at most 4 GiB each, a column of three
    # shards (721 x 320), and every source message is decoded 5 times.
    block_dims: ClassVar[tuple[str, ...]] = ("latitude", "longitude")
    memory_budget_bytes: ClassVar[int | None] = 8 * 2**30
    max_vars_per_group: ClassVar[int] = 2

    def coords_at(
        self, init_time: pd.Timestamp, lead_time: pd.Timedelta, fields: tuple[IndexKey, ...], processing_ds: xr.Dataset
    ) -> list[IfsEnsSourceFileCoord]:
        """One coord per member, members of a lead together."""
        assert self.source_url is not None
        return [
            IfsEnsSourceFileCoord(
                base_url=self.source_url,
                init_time=init_time,
                lead_time=lead_time,
                ensemble_member=int(member),
                fields=fields,
            )
            for member in processing_ds["ensemble_member"].values
        ]
