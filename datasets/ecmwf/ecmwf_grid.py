from datasets.common.config_models import Coordinate
from datasets.common.forecast_coordinates import (
    NCEP_EARTH_RADIUS_M,
    GlobalQuarterDegreeGrid,
    sphere_spatial_ref_coordinate,
)


class EcmwfQuarterDegreeGrid(GlobalQuarterDegreeGrid):
    """ECMWF open data's 0.25 degree grid, for a TemplateConfig to inherit (listed before the layout)."""

    def spatial_ref(self) -> Coordinate:
        return sphere_spatial_ref_coordinate(
            NCEP_EARTH_RADIUS_M, "as the source encodes it (GRIB2 shape of the earth 6)"
        )
