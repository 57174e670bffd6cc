from typing import ClassVar

from datasets.common.sources.grib import GridSpec
from datasets.noaa.gfs.forecast.region_job import GfsSourceFileCoord, NoaaGfsForecastRegionJob
from datasets.noaa.noaa_region_job import NoaaSourceFileCoord
from datasets.noaa.noaa_virtual_region_job import NoaaVirtualRegionJob


class NoaaGfsForecastVirtualRegionJob(NoaaVirtualRegionJob[GfsSourceFileCoord]):
    """References into the S3 archive only: NOMADS keeps files for days, so no reference may point there."""

    default_source_url: ClassVar[str] = NoaaGfsForecastRegionJob.default_source_url

    source_file_coord_class: ClassVar[type[NoaaSourceFileCoord]] = GfsSourceFileCoord
    grid: ClassVar[GridSpec] = NoaaGfsForecastRegionJob.grid
