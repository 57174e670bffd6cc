from datasets.noaa.hrrr.forecast_48_hour.dynamical_dataset import noaa_hrrr_forecast_48_hour

__all__ = ["noaa_hrrr_forecast_48_hour"]
