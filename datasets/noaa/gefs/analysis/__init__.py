from datasets.noaa.gefs.analysis.dynamical_dataset import noaa_gefs_analysis

__all__ = ["noaa_gefs_analysis"]
