"""A small warehouse secured by the roles bootstrap: raw and audit tables, one night built as the transformer."""

from __future__ import annotations

import secrets

import psycopg
import pytest

from tests.security.warehouse_fixture import RAW_DDL, build_night, login
from warehouse import roles
from warehouse.publish import publish


@pytest.fixture(scope="session")
def role_passwords() -> dict[str, str]:
    """A fresh password per role for this test session (a server other than the embedded one checks them)."""
    return {role: secrets.token_urlsafe(18) for role in roles.ROLES}


@pytest.fixture(scope="module")
def secured_url(warehouse_url: str, role_passwords: dict[str, str]) -> str:
    """Raw and audit tables, the bootstrap, then night 1 built by the transformer and published by the pipeline."""
    with psycopg.connect(warehouse_url, autocommit=True) as admin:
        admin.execute(RAW_DDL)
        roles.bootstrap(admin, role_passwords)
        with login(warehouse_url, roles.TRANSFORMER, role_passwords) as transformer:
            build_night(transformer, 1)
        publish(admin)
    return warehouse_url
