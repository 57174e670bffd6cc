from typing import ClassVar

from datasets.common.sources.grib import GridSpec
from datasets.dwd.dwd_region_job import DwdRegionJob, DwdSourceFileCoord
from datasets.dwd.icon_eu.forecast.template_config import EAST, NORTH, SOUTH, WEST

DWD_BASE_URL = "https://opendata.dwd.de/weather/nwp/icon-eu/grib"


class IconEuSourceFileCoord(DwdSourceFileCoord):
    def relative_path(self) -> str:
        init, param = self.init_time, self.dwd_param
        return (
            f"{init:%H}/{param}/icon-eu_europe_regular-lat-lon_single-level_"
            f"{init:%Y%m%d%H}_{self.hours:03d}_{param.upper()}.grib2.bz2"
        )


class DwdIconEuForecastRegionJob(DwdRegionJob[IconEuSourceFileCoord]):
    source_file_coord_class: ClassVar[type[DwdSourceFileCoord]] = IconEuSourceFileCoord
    # As encoded: rows south to north, longitudes on GRIB's 0-360 circle.
    grid: ClassVar[GridSpec] = GridSpec(
        grid_type="regular_ll",
        ni=1377,
        nj=657,
        first_latitude=SOUTH,
        first_longitude=WEST % 360,
        last_latitude=NORTH,
        last_longitude=EAST,
    )
    default_source_url: ClassVar[str] = DWD_BASE_URL
