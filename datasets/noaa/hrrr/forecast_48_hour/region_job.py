from typing import ClassVar

from datasets.common.sources.grib import GridSpec
from datasets.common.timestamps import timedelta
from datasets.noaa.hrrr.forecast_48_hour.template_config import HRRR_GRID
from datasets.noaa.noaa_region_job import NoaaRegionJob, NoaaSourceFileCoord

S3_BASE_URL = "https://noaa-hrrr-bdp-pds.s3.amazonaws.com"


class HrrrSourceFileCoord(NoaaSourceFileCoord):
    def relative_path(self) -> str:
        hours = int(self.lead_time / timedelta("1h"))
        init = self.init_time
        return f"hrrr.{init:%Y%m%d}/conus/hrrr.t{init:%H}z.wrfsfcf{hours:02d}.grib2"


class NoaaHrrrForecast48HourRegionJob(NoaaRegionJob[HrrrSourceFileCoord]):
    """Everything but the file layout and the grid comes from the NOAA base: `.idx` byte ranges, decoding
    (rows turned north to south), kelvin to celsius, hourly accumulations to rates, ingested lengths."""

    default_source_url: ClassVar[str] = S3_BASE_URL

    source_file_coord_class: ClassVar[type[NoaaSourceFileCoord]] = HrrrSourceFileCoord
    grid: ClassVar[GridSpec] = HRRR_GRID.grid_spec()
