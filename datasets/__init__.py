# eccodes' wheels load eckit's bundled PROJ, SQLite and curl with RTLD_GLOBAL. A pyproj imported after
# that mixes two copies of PROJ and the process aborts at exit ("double free or corruption"). Importing
# pyproj before any eccodes import (every module of the project imports this package first) keeps them apart.
import pyproj  # noqa: F401
