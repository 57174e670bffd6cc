from datasets.noaa.gefs.forecast_35_day.dynamical_dataset import noaa_gefs_forecast_35_day

__all__ = ["noaa_gefs_forecast_35_day"]
