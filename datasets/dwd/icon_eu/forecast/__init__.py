from datasets.dwd.icon_eu.forecast.dynamical_dataset import dwd_icon_eu_forecast

__all__ = ["dwd_icon_eu_forecast"]
