"""HubSpot streams, declared as data. Adding a stream is adding a declaration here.

Record streams (contacts, companies, deals, calls, emails, meetings) ask for every property the properties
endpoint lists at run start; lists read by id with `after` paging, search reads what changed since the
cursor. Association streams post the ids of their parent stream's active records to associations v4.
"""

from __future__ import annotations

from extractors.core.pagination import (
    AfterCursorPaginator,
    IdBatchPaginator,
    SearchPaginator,
    SinglePagePaginator,
)
from extractors.core.streams import PropertyCatalog, Stream

SOURCE = "hubspot"
# History kept wherever the object has the property (deals have no lifecyclestage, calls only an owner). The
# UTM fields are custom contact properties that every tagged form submission writes: their history is the
# contact's marketing touch points (multi-touch attribution in dbt's int_touch_points).
HISTORY = (
    "lifecyclestage",
    "hs_lead_status",
    "dealstage",
    "hubspot_owner_id",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
)
# Search's last-modified property: contacts are the exception to `hs_lastmodifieddate`.
LAST_MODIFIED = {"contacts": "lastmodifieddate"}
# Search returns no property history, so changed ids are read again through batch/read, which takes 100 ids,
# 50 when history is asked.
HISTORY_BATCH_SIZE = 50


def records(object_type: str) -> Stream:
    """A CRM object type: all properties, history where it has them, archived records, incremental by search."""
    path = f"/crm/v3/objects/{object_type}"
    return Stream(
        source=SOURCE,
        name=object_type,
        path=path,
        primary_key="id",
        cursor_field="updatedAt",
        paginator=AfterCursorPaginator(page_size=100),
        params={"archived": "false"},
        archived_params={"archived": "true"},
        catalog=PropertyCatalog(path=f"/crm/v3/properties/{object_type}", with_history=HISTORY),
        search=SearchPaginator(cursor_property=LAST_MODIFIED.get(object_type, "hs_lastmodifieddate")),
        search_path=f"{path}/search",
        history_reader=IdBatchPaginator(chunk=HISTORY_BATCH_SIZE),
        history_path=f"{path}/batch/read",
    )


def associations(from_type: str, to_type: str) -> Stream:
    """Associations v4 of every active `from_type` record: one raw row per from-id with its `to` list."""
    return Stream(
        source=SOURCE,
        name=f"{from_type}_to_{to_type}",
        path=f"/crm/v4/associations/{from_type}/{to_type}/batch/read",
        primary_key="from.id",
        cursor_field=None,
        paginator=IdBatchPaginator(chunk=1000),
        parent=from_type,
    )


STREAMS = (
    *(records(object_type) for object_type in ("contacts", "companies", "deals", "calls", "emails", "meetings")),
    Stream(
        source=SOURCE,
        name="owners",
        path="/crm/v3/owners",
        primary_key="id",
        cursor_field="updatedAt",
        paginator=AfterCursorPaginator(page_size=100),
        params={"archived": "false"},
        archived_params={"archived": "true"},
    ),
    Stream(
        source=SOURCE,
        name="deal_pipelines",
        path="/crm/v3/pipelines/deals",
        primary_key="id",
        cursor_field="updatedAt",
        paginator=SinglePagePaginator(),
    ),
    associations("contacts", "companies"),
    associations("contacts", "deals"),
    associations("deals", "contacts"),
    associations("calls", "contacts"),
    associations("emails", "contacts"),
    associations("meetings", "contacts"),
)
