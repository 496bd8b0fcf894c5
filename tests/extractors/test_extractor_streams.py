"""Stream declarations: identifiers that become table names are validated; HubSpot's streams are well formed."""

from __future__ import annotations

import pytest

from extractors.core.pagination import AfterCursorPaginator
from extractors.core.streams import Stream
from extractors.hubspot.streams import STREAMS


def stream(source: str = "hubspot", name: str = "contacts") -> Stream:
    return Stream(
        source=source,
        name=name,
        path="/crm/v3/objects/contacts",
        primary_key="id",
        cursor_field="updatedAt",
        paginator=AfterCursorPaginator(),
    )


def test_a_stream_loads_into_a_raw_table_named_source_double_underscore_stream() -> None:
    assert stream("hubspot", "deal_stages").table == "hubspot__deal_stages"


BAD_IDENTIFIERS = [
    "Contacts",
    "con-tacts",
    "1contacts",
    "_contacts",
    "",
    "contacts; drop table raw._batches",
    'contacts"',
    "contacts\n",
    "c" * 42,
]


@pytest.mark.parametrize("name", BAD_IDENTIFIERS, ids=repr)
def test_a_stream_name_that_is_not_a_lower_case_identifier_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="stream identifier"):
        stream(name=name)


@pytest.mark.parametrize("source", BAD_IDENTIFIERS, ids=repr)
def test_a_source_name_that_is_not_a_lower_case_identifier_is_refused(source: str) -> None:
    with pytest.raises(ValueError, match="stream identifier"):
        stream(source=source)


def test_hubspot_declares_contacts_keyed_by_id_with_updated_at_as_cursor() -> None:
    assert [(s.name, s.table, s.primary_key, s.cursor_field) for s in STREAMS] == [
        ("contacts", "hubspot__contacts", "id", "updatedAt")
    ]
    (contacts,) = STREAMS
    assert contacts.params["archived"] == "false"
    assert contacts.archived_params is not None
    assert contacts.archived_params["archived"] == "true"


def test_a_raw_table_name_longer_than_postgres_allows_is_refused() -> None:
    with pytest.raises(ValueError, match="longer than Postgres' 63 characters"):
        stream(source="s" * 30, name="n" * 32)  # "<source>__<name>": 64 characters
    assert len(stream(source="s" * 30, name="n" * 31).table) == 63
