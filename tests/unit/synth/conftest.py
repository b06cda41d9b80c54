"""The synthetic extracts are checked by reading them back, with the source tests' fixtures."""

from tests.unit.source.conftest import clean_runs, faulty_runs, layouts

__all__ = ["clean_runs", "faulty_runs", "layouts"]
