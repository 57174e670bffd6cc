import datasets  # noqa: F401  (loads pyproj before eccodes; see datasets/__init__.py)
