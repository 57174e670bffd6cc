from typing import ClassVar

import pandas as pd

from datasets.common.errors import SourceNotFoundError
from datasets.common.sources.grib import GridSpec
from datasets.common.timestamps import timedelta, utc_now
from datasets.noaa.noaa_region_job import DEACCUMULATION_INVALID as DEACCUMULATION_INVALID
from datasets.noaa.noaa_region_job import NoaaRegionJob, NoaaSourceFileCoord

S3_BASE_URL = "https://noaa-gfs-bdp-pds.s3.amazonaws.com"
NOMADS_BASE_URL = "https://nomads.ncep.noaa.gov/pub/data/nccf/com/gfs/prod"
# Files this recent may not have reached the S3 bucket yet; NOMADS has them.
NOMADS_FALLBACK_AGE = timedelta("12h")


class GfsSourceFileCoord(NoaaSourceFileCoord):
    def relative_path(self) -> str:
        hours = int(self.lead_time / timedelta("1h"))
        init = self.init_time
        return f"gfs.{init:%Y%m%d}/{init:%H}/atmos/gfs.t{init:%H}z.pgrb2.0p25.f{hours:03d}"


class NoaaGfsForecastRegionJob(NoaaRegionJob[GfsSourceFileCoord]):
    source_file_coord_class: ClassVar[type[NoaaSourceFileCoord]] = GfsSourceFileCoord
    grid: ClassVar[GridSpec] = GridSpec(
        grid_type="regular_ll",
        ni=1440,
        nj=721,
        first_latitude=90.0,
        first_longitude=0.0,
        last_latitude=-90.0,
        last_longitude=359.75,
    )
    roll_longitude: ClassVar[bool] = True
    default_source_url: ClassVar[str] = S3_BASE_URL
    recent_fallback_url: ClassVar[str] = NOMADS_BASE_URL

    def fallback_base_url(self, init_time: pd.Timestamp, now: pd.Timestamp) -> str | None:
        """NOMADS for inits too recent to be on S3; a source URL override serves everything itself."""
        overridden = (self.source_url or self.default_source_url).rstrip("/") != self.default_source_url
        if overridden or now - init_time >= NOMADS_FALLBACK_AGE:
            return None
        return self.recent_fallback_url

    def download_file(self, coord: GfsSourceFileCoord) -> GfsSourceFileCoord:
        try:
            return super().download_file(coord)
        except SourceNotFoundError:
            fallback = self.fallback_base_url(coord.init_time, utc_now())
            if fallback is None:
                raise
            return super().download_file(coord.model_copy(update={"base_url": fallback}))
