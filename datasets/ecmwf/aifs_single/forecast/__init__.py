from datasets.ecmwf.aifs_single.forecast.dynamical_dataset import ecmwf_aifs_single_forecast

__all__ = ["ecmwf_aifs_single_forecast"]
