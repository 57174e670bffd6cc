import datasets.common.sources  # noqa: F401  (loads pyproj before eccodes; see that package)
