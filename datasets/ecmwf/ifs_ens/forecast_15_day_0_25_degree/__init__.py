from datasets.ecmwf.ifs_ens.forecast_15_day_0_25_degree.dynamical_dataset import (
    ecmwf_ifs_ens_forecast_15_day_0_25_degree,
)

__all__ = ["ecmwf_ifs_ens_forecast_15_day_0_25_degree"]
