# Modules here import eccodes: load pyproj first, as every importer of the datasets package does.
import datasets  # noqa: F401
