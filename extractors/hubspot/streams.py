"""HubSpot streams, declared as data. Adding a stream is adding a `Stream(...)` here."""

from __future__ import annotations

from extractors.core.pagination import AfterCursorPaginator
from extractors.core.streams import Stream

# HubSpot returns only the properties asked for (unknown names are ignored silently).
CONTACT_PROPERTIES = (
    "email",
    "firstname",
    "lastname",
    "jobtitle",
    "company",
    "lifecyclestage",
    "hs_lead_status",
    "hs_analytics_source",
    "hubspotscore",
    "hubspot_owner_id",
    "createdate",
    "lastmodifieddate",
)

STREAMS = (
    Stream(
        source="hubspot",
        name="contacts",
        path="/crm/v3/objects/contacts",
        primary_key="id",
        cursor_field="updatedAt",
        paginator=AfterCursorPaginator(page_size=100),
        params={"properties": ",".join(CONTACT_PROPERTIES), "archived": "false"},
        archived_params={"properties": ",".join(CONTACT_PROPERTIES), "archived": "true"},
    ),
)
