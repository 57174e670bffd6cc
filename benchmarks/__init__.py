"""Performance measurements run by hand (`uv run python -m benchmarks.<name>`); not part of the test suite."""

import datasets  # noqa: F401  # loads pyproj before any benchmark imports eccodes (see datasets/__init__.py)
