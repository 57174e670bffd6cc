from datasets.noaa.gfs.analysis.dynamical_dataset import noaa_gfs_analysis

__all__ = ["noaa_gfs_analysis"]
