"""Fixtures for the extractor tests: the reference sandbox (a real server process) and what it serves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.launcher import running_sandbox
from tests.extractors.hubspot_sandbox import FAULTS, SCALE, SEED, Served, sandbox_arguments, served


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    """The reference sandbox: seed 7, 300 contacts, 10% with an unknown lifecycle stage, no rate limit."""
    with running_sandbox(sandbox_arguments(SEED, SCALE, FAULTS)) as sandbox:
        yield sandbox.url


@pytest.fixture(scope="session")
def expected() -> Served:
    """What the reference sandbox serves."""
    return served(SEED, SCALE, FAULTS)
