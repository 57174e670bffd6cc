"""Performance measurements run by hand (`uv run python -m benchmarks.<name>`); not part of the test suite."""
