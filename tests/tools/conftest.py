"""The tool tests drive whole turns; they reuse the core tests' fixtures."""

from tests.core.conftest import approver, log, manager

__all__ = ["approver", "log", "manager"]
