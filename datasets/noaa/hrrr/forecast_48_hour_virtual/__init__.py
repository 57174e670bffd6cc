from datasets.noaa.hrrr.forecast_48_hour_virtual.dynamical_dataset import noaa_hrrr_forecast_48_hour_virtual

__all__ = ["noaa_hrrr_forecast_48_hour_virtual"]
