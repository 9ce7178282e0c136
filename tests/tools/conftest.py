"""The tool tests drive whole turns; they reuse the core tests' fixtures."""

from tests.core.conftest import manager

__all__ = ["manager"]
