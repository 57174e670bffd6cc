from datasets.noaa.gfs.forecast_virtual.dynamical_dataset import noaa_gfs_forecast_virtual

__all__ = ["noaa_gfs_forecast_virtual"]
