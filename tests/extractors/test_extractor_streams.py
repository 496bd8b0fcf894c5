"""Stream declarations: identifiers that become table names are validated; HubSpot's streams are well formed."""

from __future__ import annotations

import pytest

from extractors.core.pagination import AfterCursorPaginator
from extractors.core.streams import Stream, properties_from
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


def test_hubspot_declares_records_owners_pipelines_and_associations() -> None:
    assert [(s.name, s.primary_key, s.cursor_field) for s in STREAMS] == [
        ("contacts", "id", "updatedAt"),
        ("companies", "id", "updatedAt"),
        ("deals", "id", "updatedAt"),
        ("calls", "id", "updatedAt"),
        ("emails", "id", "updatedAt"),
        ("meetings", "id", "updatedAt"),
        ("owners", "id", "updatedAt"),
        ("deal_pipelines", "id", "updatedAt"),
        ("contacts_to_companies", "from.id", None),
        ("contacts_to_deals", "from.id", None),
        ("deals_to_contacts", "from.id", None),
        ("calls_to_contacts", "from.id", None),
        ("emails_to_contacts", "from.id", None),
        ("meetings_to_contacts", "from.id", None),
    ]


def test_record_streams_search_on_their_last_modified_property_and_read_archived_records() -> None:
    records = {s.name: s for s in STREAMS if s.catalog is not None}
    assert set(records) == {"contacts", "companies", "deals", "calls", "emails", "meetings"}
    for name, declared in records.items():
        assert declared.search is not None
        assert declared.search.cursor_property == ("lastmodifieddate" if name == "contacts" else "hs_lastmodifieddate")
        assert declared.archived_params == {"archived": "true"}
        assert declared.catalog.path == f"/crm/v3/properties/{name}"


def test_every_association_stream_comes_after_the_stream_whose_ids_it_reads() -> None:
    order = [s.name for s in STREAMS]
    for declared in STREAMS:
        if declared.parent is not None:
            assert order.index(declared.parent) < order.index(declared.name)


def test_property_names_that_are_not_plain_identifiers_are_left_out_of_requests() -> None:
    found = ["email", "lifecyclestage", "Bad Name", "x&properties=secret", "dealstage", "hs_v2_date_entered_123"]
    discovered = properties_from(found, ("lifecyclestage", "dealstage", "hs_lead_status"))

    assert discovered.names == ("dealstage", "email", "hs_v2_date_entered_123", "lifecyclestage")
    assert discovered.refused == ("Bad Name", "x&properties=secret")
    assert discovered.with_history == ("lifecyclestage", "dealstage")


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"properties": {}, "updatedAt": "2026-01-05T00:00:00.000Z"}, "no usable primary key 'id'"),
        ({"id": "", "updatedAt": "2026-01-05T00:00:00.000Z"}, "no usable primary key 'id'"),
        ({"id": "7", "updatedAt": "yesterday"}, "cursor 'updatedAt' is not an ISO 8601 timestamp: 'yesterday'"),
        ({"id": "7"}, "cursor 'updatedAt' is not an ISO 8601 timestamp: 'None'"),
        (["7"], "not a JSON object but list"),
    ],
)
def test_a_record_without_id_or_timestamp_cursor_breaks_the_declared_shape(record: object, problem: str) -> None:
    assert stream().shape_problem(record) == problem


def test_an_association_record_is_keyed_by_its_from_id() -> None:
    (association,) = [s for s in STREAMS if s.name == "contacts_to_companies"]
    record = {"from": {"id": "101"}, "to": [{"toObjectId": 5000000001}]}
    assert association.shape_problem(record) is None
    assert association.record_id(record) == "101"


def test_a_raw_table_name_longer_than_postgres_allows_is_refused() -> None:
    with pytest.raises(ValueError, match="longer than Postgres' 63 characters"):
        stream(source="s" * 30, name="n" * 32)  # "<source>__<name>": 64 characters
    assert len(stream(source="s" * 30, name="n" * 31).table) == 63
