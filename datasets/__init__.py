# eckitlib (loaded by eccodes) bundles its own libproj; when it loads before pyproj's, the process
# aborts at exit (double free). Loading pyproj first avoids it, whatever a module imports first.
import pyproj  # noqa: F401
