"""Fixtures for the sandbox tests: real server processes on loopback, spoken to over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
import requests

from sandbox.launcher import running_sandbox
from tests.sandbox.hubspot_client import SCALE, SEED, TOKEN, Client


@pytest.fixture(scope="session")
def start_sandbox() -> Iterator[Callable[..., Client]]:
    """A factory: ``start_sandbox("--seed", "3")`` starts a server (stopped at session end) and returns a Client."""
    with ExitStack() as stack:

        def start(*arguments: str) -> Client:
            sandbox = stack.enter_context(running_sandbox(["--token", TOKEN, *arguments]))
            return Client(sandbox.url, stack.enter_context(requests.Session()))

        yield start


@pytest.fixture(scope="session")
def hubspot(start_sandbox: Callable[..., Client]) -> Client:
    """The reference sandbox: seed 7, 300 contacts, default now, no faults, no rate limit."""
    return start_sandbox("--seed", str(SEED), "--scale", str(SCALE))
