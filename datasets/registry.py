from typing import Any

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.errors import UserInputError


def _load() -> list[DynamicalDataset[Any, Any]]:
    from datasets.dwd.icon_eu.forecast import dwd_icon_eu_forecast
    from datasets.ecmwf.aifs_single.forecast import ecmwf_aifs_single_forecast
    from datasets.ecmwf.ifs_ens.forecast_15_day_0_25_degree import ecmwf_ifs_ens_forecast_15_day_0_25_degree
    from datasets.example import example_gfs_coarse_forecast
    from datasets.noaa.gefs.analysis import noaa_gefs_analysis
    from datasets.noaa.gefs.forecast_35_day import noaa_gefs_forecast_35_day
    from datasets.noaa.gfs.analysis import noaa_gfs_analysis
    from datasets.noaa.gfs.forecast import noaa_gfs_forecast
    from datasets.noaa.gfs.forecast_virtual import noaa_gfs_forecast_virtual
    from datasets.noaa.hrrr.analysis import noaa_hrrr_analysis
    from datasets.noaa.hrrr.forecast_48_hour import noaa_hrrr_forecast_48_hour
    from datasets.noaa.hrrr.forecast_48_hour_virtual import noaa_hrrr_forecast_48_hour_virtual

    return [
        noaa_gfs_forecast(),
        noaa_gfs_analysis(),
        noaa_hrrr_forecast_48_hour(),
        noaa_hrrr_analysis(),
        dwd_icon_eu_forecast(),
        noaa_gefs_forecast_35_day(),
        noaa_gefs_analysis(),
        ecmwf_ifs_ens_forecast_15_day_0_25_degree(),
        ecmwf_aifs_single_forecast(),
        example_gfs_coarse_forecast(),
        noaa_gfs_forecast_virtual(),
        noaa_hrrr_forecast_48_hour_virtual(),
    ]


DATASETS: list[DynamicalDataset[Any, Any]] = _load()


def get_dataset(dataset_id: str) -> DynamicalDataset[Any, Any]:
    for dataset in DATASETS:
        if dataset.dataset_id == dataset_id:
            return dataset
    known = ", ".join(d.dataset_id for d in DATASETS)
    raise UserInputError(f"unknown dataset id {dataset_id!r} (known: {known})")
