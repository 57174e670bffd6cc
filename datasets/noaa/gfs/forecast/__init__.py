from datasets.noaa.gfs.forecast.dynamical_dataset import noaa_gfs_forecast

__all__ = ["noaa_gfs_forecast"]
