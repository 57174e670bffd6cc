from typing import ClassVar

from datasets.common.sources.grib import GridSpec
from datasets.noaa.hrrr.forecast_48_hour.region_job import HrrrSourceFileCoord, NoaaHrrrForecast48HourRegionJob
from datasets.noaa.noaa_region_job import NoaaSourceFileCoord
from datasets.noaa.noaa_virtual_region_job import NoaaVirtualRegionJob


class NoaaHrrrForecast48HourVirtualRegionJob(NoaaVirtualRegionJob[HrrrSourceFileCoord]):
    default_source_url: ClassVar[str] = NoaaHrrrForecast48HourRegionJob.default_source_url
    source_file_coord_class: ClassVar[type[NoaaSourceFileCoord]] = HrrrSourceFileCoord
    grid: ClassVar[GridSpec] = NoaaHrrrForecast48HourRegionJob.grid
