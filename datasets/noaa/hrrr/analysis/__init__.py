from datasets.noaa.hrrr.analysis.dynamical_dataset import noaa_hrrr_analysis

__all__ = ["noaa_hrrr_analysis"]
