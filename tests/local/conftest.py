"""The local target's tests: the `slow` marker for end-to-end runs that build environments."""

from __future__ import annotations


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "slow: end to end on a fresh machine's path (a venv, a mount namespace); minutes",
    )
