"""HubSpot CRM object types over the story: contacts, companies, deals and engagements (calls, emails, meetings).

Each ``ObjectType`` knows its property definitions (what ``/crm/v3/properties/{type}`` lists), how to walk its
objects in id order from a *position* (the paging cursor), and how to render one object the HubSpot way:
every property value a string or null, timestamps ``2026-01-05T03:35:20.605Z``, history newest first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sandbox.story import (
    COMPANY_ID_BASE,
    COMPANY_ID_STEP,
    COMPANY_TIERS,
    CONTACT_ID_BASE,
    CONTACT_ID_STEP,
    CURRENCIES,
    DEAL_ID_BASE,
    DEAL_ID_STEP,
    DEAL_STAGES,
    DRIFT_PROPERTY,
    ENGAGEMENT_ID_BASE,
    ENGAGEMENT_SLOTS,
    INDUSTRIES,
    PRODUCTS,
    REJECTION_REASONS,
    SOURCES,
    UNKNOWN_LIFECYCLE_VALUE,
    Change,
    CompanyView,
    ContactView,
    DealView,
    Stage,
    Story,
    Touch,
    index_of,
    iso_ms,
)
from sandbox.touches import UTM_PROPERTIES

Properties = dict[str, str | None]

# (name, label, type, fieldType, options, hubspotDefined). Custom properties have hubspotDefined False.
PropertyDef = tuple[str, str, str, str, tuple[str, ...], bool]


def _text(name: str, label: str) -> PropertyDef:
    return (name, label, "string", "text", (), True)


def _datetime(name: str, label: str) -> PropertyDef:
    return (name, label, "datetime", "date", (), True)


def _number(name: str, label: str) -> PropertyDef:
    return (name, label, "number", "number", (), True)


def _choice(name: str, label: str, options: tuple[str, ...], custom: bool = False) -> PropertyDef:
    return (name, label, "enumeration", "select", options, not custom)


LEAD_STATUSES = (
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "ATTEMPTED_TO_CONTACT",
    "CONNECTED",
    "BAD_TIMING",
)
STAGE_DATE_PROPERTY = {stage: f"hs_lifecyclestage_{stage.value}_date" for stage in Stage}
STAGE_DATE_PROPERTIES = tuple(STAGE_DATE_PROPERTY.values())
DEAL_STAGE_IDS = tuple(stage for stage, _, _ in DEAL_STAGES)
DEAL_DATE_ENTERED = tuple(f"hs_v2_date_entered_{stage}" for stage in DEAL_STAGE_IDS)

CONTACT_DEFS: tuple[PropertyDef, ...] = (
    _text("company", "Company Name"),
    _datetime("createdate", "Create Date"),
    _text("email", "Email"),
    _text("firstname", "First Name"),
    _choice("hs_analytics_source", "Original Source", tuple(SOURCES)),
    _choice("hs_lead_status", "Lead Status", LEAD_STATUSES),
    _text("hs_merged_object_ids", "Merged Contact IDs"),
    ("hs_object_id", "Record ID", "number", "number", (), True),
    *(_datetime(name, f"Became a {name.split('_')[2]} date") for name in STAGE_DATE_PROPERTIES),
    _text("hubspot_owner_id", "Contact owner"),
    _number("hubspotscore", "HubSpot Score"),
    _text("jobtitle", "Job Title"),
    _datetime("lastmodifieddate", "Last Modified Date"),
    _text("lastname", "Last Name"),
    _choice("lifecyclestage", "Lifecycle Stage", tuple(stage.value for stage in Stage)),
    _choice("sales_rejection_reason", "Sales rejection reason", REJECTION_REASONS, custom=True),
    *((name, f"UTM {name.removeprefix('utm_')}", "string", "text", (), False) for name in UTM_PROPERTIES),
)
DRIFT_DEF: PropertyDef = (DRIFT_PROPERTY, "Sandbox drift property", "string", "text", (), False)
COMPANY_DEFS: tuple[PropertyDef, ...] = (
    _choice("account_tier", "Account tier", COMPANY_TIERS, custom=True),
    _datetime("createdate", "Create Date"),
    _text("domain", "Company Domain Name"),
    _datetime("hs_lastmodifieddate", "Last Modified Date"),
    ("hs_object_id", "Record ID", "number", "number", (), True),
    _choice("industry", "Industry", tuple(sorted(set(INDUSTRIES.values())))),
    _text("name", "Name"),
    _number("numberofemployees", "Number of Employees"),
)
DEAL_DEFS: tuple[PropertyDef, ...] = (
    _number("amount", "Amount"),
    _datetime("closedate", "Close Date"),
    # HubSpot's own free-text property; sales agreed to enter one of sandbox.story.LOST_REASONS.
    ("closed_lost_reason", "Closed Lost Reason", "string", "textarea", (), True),
    _datetime("createdate", "Create Date"),
    _choice("deal_currency_code", "Currency", tuple(code for code, _ in CURRENCIES)),
    _text("dealname", "Deal Name"),
    _choice("dealstage", "Deal Stage", DEAL_STAGE_IDS),
    ("hs_is_closed", "Is Closed", "bool", "booleancheckbox", ("true", "false"), True),
    ("hs_is_closed_won", "Is Closed Won", "bool", "booleancheckbox", ("true", "false"), True),
    _datetime("hs_lastmodifieddate", "Last Modified Date"),
    ("hs_object_id", "Record ID", "number", "number", (), True),
    *(_datetime(name, f"Date entered {name.removeprefix('hs_v2_date_entered_')}") for name in DEAL_DATE_ENTERED),
    _text("hubspot_owner_id", "Deal owner"),
    _choice("pipeline", "Pipeline", ("default",)),
    _choice("product_line", "Product line", PRODUCTS, custom=True),
)
_ENGAGEMENT_COMMON: tuple[PropertyDef, ...] = (
    _datetime("hs_createdate", "Create Date"),
    _datetime("hs_lastmodifieddate", "Last Modified Date"),
    ("hs_object_id", "Record ID", "number", "number", (), True),
    _datetime("hs_timestamp", "Activity date"),
    _text("hubspot_owner_id", "Activity assigned to"),
)
ENGAGEMENT_DEFS: dict[str, tuple[PropertyDef, ...]] = {
    "calls": (
        *_ENGAGEMENT_COMMON,
        _choice("hs_call_direction", "Call direction", ("OUTBOUND", "INBOUND")),
        _number("hs_call_duration", "Call duration (ms)"),
        _choice("hs_call_status", "Call status", ("COMPLETED", "NO_ANSWER", "BUSY")),
        _text("hs_call_title", "Call title"),
    ),
    "emails": (
        *_ENGAGEMENT_COMMON,
        _choice("hs_email_direction", "Email direction", ("EMAIL", "INCOMING_EMAIL")),
        _choice("hs_email_status", "Email status", ("SENT", "BOUNCED")),
        _text("hs_email_subject", "Email subject"),
    ),
    "meetings": (
        *_ENGAGEMENT_COMMON,
        _datetime("hs_meeting_end_time", "Meeting end time"),
        _choice("hs_meeting_outcome", "Meeting outcome", ("COMPLETED", "NO_SHOW", "RESCHEDULED")),
        _datetime("hs_meeting_start_time", "Meeting start time"),
        _text("hs_meeting_title", "Meeting name"),
    ),
}


def _sorted_defs(defs: tuple[PropertyDef, ...]) -> tuple[PropertyDef, ...]:
    return tuple(sorted(defs, key=lambda definition: definition[0]))


@dataclass(frozen=True)
class Item:
    """One object at ``now``: what the list, search and association endpoints need from it."""

    position: int  # where the paging cursor points; ascends with the id
    id: str
    created_ms: int
    updated_ms: int
    archived_ms: int | None
    properties: Properties
    history: dict[str, list[Change]]  # tracked properties only

    @property
    def archived(self) -> bool:
        return self.archived_ms is not None


def history_entries(changes: list[Change]) -> list[dict[str, object]]:
    entries = []
    for ms, _, value, source, source_id, user in changes:
        entry: dict[str, object] = {"value": "" if value is None else value, "timestamp": iso_ms(ms)}
        entry["sourceType"] = source
        if source_id is not None:
            entry["sourceId"] = source_id
        if user is not None:
            entry["updatedByUserId"] = user
        entries.append(entry)
    return entries


class ObjectType:
    """One CRM object type; subclasses fill in how objects are found and rendered."""

    name: str
    defs: tuple[PropertyDef, ...]
    default_properties: tuple[str, ...]
    always_returned: tuple[str, ...]
    created_property = "createdate"
    modified_property = "hs_lastmodifieddate"
    has_archived = False  # whether any object of this type is ever archived

    def __init__(self, story: Story, now_ms: int) -> None:
        self.story = story
        self.now_ms = now_ms
        self.contact_count = story.count_at(now_ms)

    @property
    def property_names(self) -> tuple[str, ...]:
        return tuple(definition[0] for definition in self.defs)

    def scan(self, start: int) -> Iterator[Item]:
        """Every object existing at now (archived or not) from ``start`` on, in id order."""
        raise NotImplementedError

    def find(self, object_id: str) -> Item | None:
        raise NotImplementedError

    def search_rows(self) -> Iterator[tuple[int, int, int, int]]:
        """(id, created ms, last modified ms, position) of every active object, for the search index."""
        for item in self.scan(0):
            if not item.archived:
                yield int(item.id), item.created_ms, item.updated_ms, item.position

    def record(self, item: Item, selected: tuple[str, ...], with_history: tuple[str, ...] = ()) -> dict[str, object]:
        record: dict[str, object] = {
            "id": item.id,
            "properties": {name: item.properties.get(name) for name in selected},
            "createdAt": iso_ms(item.created_ms),
            "updatedAt": iso_ms(item.updated_ms),
            "archived": item.archived,
        }
        if item.archived_ms is not None:
            record["archivedAt"] = iso_ms(item.archived_ms)
        if with_history:
            record["propertiesWithHistory"] = {name: self._history(item, name) for name in with_history}
        return record

    def _history(self, item: Item, name: str) -> list[dict[str, object]]:
        """Tracked properties have their full history; any other one its current value, set at creation."""
        if name in item.history:
            return history_entries(item.history[name])
        value = item.properties.get(name)
        if value is None:
            return []
        return history_entries([(item.created_ms, name, value, "CRM_UI", None, None)])


class Contacts(ObjectType):
    name = "contacts"
    defs = _sorted_defs(CONTACT_DEFS)
    default_properties = ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname")
    always_returned = ("createdate", "hs_object_id", "lastmodifieddate")
    modified_property = "lastmodifieddate"
    has_archived = True
    tracked = ("lifecyclestage", "hs_lead_status", "hubspot_owner_id", "hubspotscore", "jobtitle", *UTM_PROPERTIES)

    def __init__(self, story: Story, now_ms: int) -> None:
        super().__init__(story, now_ms)
        if story.drift_active and story.drift_at_ms <= now_ms:  # schema_drift: the new property exists by now
            self.defs = _sorted_defs((*CONTACT_DEFS, DRIFT_DEF))
            self.tracked = (*self.tracked, DRIFT_PROPERTY)

    def view(self, index: int) -> ContactView:
        return self.story.view(index, self.now_ms)

    def item(self, view: ContactView) -> Item:
        return Item(
            position=view.index,
            id=view.id,
            created_ms=view.created_ms,
            updated_ms=view.updated_ms,
            archived_ms=view.profile.archived_ms if view.archived else None,
            properties=contact_properties(view),
            history={name: view.histories.get(name, []) for name in self.tracked},  # shared lists: never mutated
        )

    def scan(self, start: int) -> Iterator[Item]:
        for index in range(start, self.contact_count):
            yield self.item(self.view(index))

    def search_rows(self) -> Iterator[tuple[int, int, int, int]]:
        for index in range(self.contact_count):  # skips rendering: the index is all search needs
            view = self.view(index)
            if not view.archived:
                yield int(view.id), view.created_ms, view.updated_ms, index

    def find_view(self, object_id: str) -> ContactView | None:
        index = index_of(object_id, CONTACT_ID_BASE, CONTACT_ID_STEP)
        if index is None or index >= self.contact_count:
            return None
        view = self.view(index)
        return view if view.id == object_id else None

    def find(self, object_id: str) -> Item | None:
        view = self.find_view(object_id)
        return self.item(view) if view is not None else None


def contact_properties(view: ContactView) -> Properties:
    """All served properties of a contact, rendered the HubSpot way (strings or null)."""
    values = view.values
    stage = view.stage
    properties: Properties = {
        "company": view.profile.company,
        "createdate": iso_ms(view.created_ms),
        "email": view.email,
        "firstname": view.profile.firstname,
        "hs_analytics_source": view.profile.source,
        "hs_lead_status": values.get("hs_lead_status"),
        "hs_merged_object_ids": values.get("hs_merged_object_ids"),
        "hs_object_id": view.id,
        "hubspot_owner_id": view.owner_id,
        "hubspotscore": str(view.score),
        "jobtitle": values.get("jobtitle"),
        "lastmodifieddate": iso_ms(view.updated_ms),
        "lastname": view.profile.lastname,
        "lifecyclestage": stage.value if stage is not None else UNKNOWN_LIFECYCLE_VALUE,
        "sales_rejection_reason": values.get("sales_rejection_reason"),
        **{name: values.get(name) for name in UTM_PROPERTIES},  # the latest tagged form submission's
        DRIFT_PROPERTY: values.get(DRIFT_PROPERTY),  # served only once the property exists (schema_drift)
    }
    properties.update(dict.fromkeys(STAGE_DATE_PROPERTIES))
    # HubSpot keeps the *latest* entry into a stage here; first entries come from the property history.
    for entered, at_ms in view.stage_entries:
        properties[STAGE_DATE_PROPERTY[entered]] = iso_ms(at_ms)
    return properties


class Companies(ObjectType):
    name = "companies"
    defs = _sorted_defs(COMPANY_DEFS)
    default_properties = ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name")
    always_returned = ("createdate", "hs_lastmodifieddate", "hs_object_id")

    def __init__(self, story: Story, now_ms: int) -> None:
        super().__init__(story, now_ms)
        self.count = story.company_count_at(now_ms)

    def item(self, index: int) -> Item:
        view = CompanyView(self.story.company(index), self.now_ms)
        company = view.company
        sizes = [entry for entry in company.employees if entry[0] <= self.now_ms]
        history = [(ms, "numberofemployees", str(count), "IMPORT", None, None) for ms, count in sizes[:1]]
        history += [(ms, "numberofemployees", str(count), "INTEGRATION", "enrichment", None) for ms, count in sizes[1:]]
        return Item(
            position=index,
            id=company.id,
            created_ms=company.created_ms,
            updated_ms=view.updated_ms,
            archived_ms=None,
            properties={
                "account_tier": company.tier,
                "createdate": iso_ms(company.created_ms),
                "domain": company.domain,
                "hs_lastmodifieddate": iso_ms(view.updated_ms),
                "hs_object_id": company.id,
                "industry": company.industry,
                "name": company.name,
                "numberofemployees": str(view.employees),
            },
            history={"numberofemployees": history[::-1]},
        )

    def scan(self, start: int) -> Iterator[Item]:
        for index in range(start, self.count):
            yield self.item(index)

    def find(self, object_id: str) -> Item | None:
        index = index_of(object_id, COMPANY_ID_BASE, COMPANY_ID_STEP)
        if index is None or index >= self.count:
            return None
        item = self.item(index)
        return item if item.id == object_id else None


class Deals(ObjectType):
    name = "deals"
    defs = _sorted_defs(DEAL_DEFS)
    default_properties = (
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    )
    always_returned = ("createdate", "hs_lastmodifieddate", "hs_object_id")

    def __init__(self, story: Story, now_ms: int, contacts: Contacts) -> None:
        super().__init__(story, now_ms)
        self.contacts = contacts

    def item(self, view: DealView) -> Item:
        deal = view.deal
        closed = view.closed_ms is not None
        properties: Properties = {
            "amount": str(view.amount),
            "closedate": iso_ms(view.close_date_ms),
            "closed_lost_reason": view.lost_reason,
            "createdate": iso_ms(deal.created_ms),
            "deal_currency_code": deal.currency,
            "dealname": deal.name,
            "dealstage": view.stage,
            "hs_is_closed": str(closed).lower(),
            "hs_is_closed_won": str(view.won).lower(),
            "hs_lastmodifieddate": iso_ms(view.updated_ms),
            "hs_object_id": deal.id,
            "hubspot_owner_id": deal.owner_id,
            "pipeline": "default",
            "product_line": deal.product,
        }
        properties.update(dict.fromkeys(DEAL_DATE_ENTERED))
        for stage, ms in view.stages:
            properties[f"hs_v2_date_entered_{stage}"] = iso_ms(ms)
        history: dict[str, list[Change]] = {
            "dealstage": [(ms, "dealstage", stage, "CRM_UI", None, None) for stage, ms in reversed(view.stages)]
        }
        if view.lost_reason is not None:  # written with the close, not at creation
            history["closed_lost_reason"] = [
                (view.stages[-1][1], "closed_lost_reason", view.lost_reason, "CRM_UI", None, None)
            ]
        return Item(deal.index, deal.id, deal.created_ms, view.updated_ms, None, properties, history)

    def scan(self, start: int) -> Iterator[Item]:
        for index in range(start, self.contact_count):
            deal = self.contacts.view(index).deal
            if deal is not None:
                yield self.item(deal)

    def find_view(self, object_id: str) -> DealView | None:
        index = index_of(object_id, DEAL_ID_BASE, DEAL_ID_STEP)
        if index is None or index >= self.contact_count:
            return None
        deal = self.contacts.view(index).deal
        return deal if deal is not None and deal.deal.id == object_id else None

    def find(self, object_id: str) -> Item | None:
        view = self.find_view(object_id)
        return self.item(view) if view is not None else None


def engagement_id(contact_index: int, slot: int) -> str:
    return str(ENGAGEMENT_ID_BASE + ENGAGEMENT_SLOTS * contact_index + slot)


class Engagements(ObjectType):
    """Calls, emails or meetings: the sales touches of contacts (position = contact index * 8 + slot)."""

    created_property = "hs_createdate"
    always_returned = ("hs_createdate", "hs_lastmodifieddate", "hs_object_id")
    default_properties = ("hs_createdate", "hs_lastmodifieddate", "hs_object_id")

    def __init__(self, name: str, story: Story, now_ms: int, contacts: Contacts) -> None:
        super().__init__(story, now_ms)
        self.name = name
        self.defs = _sorted_defs(ENGAGEMENT_DEFS[name])
        self.contacts = contacts

    def item(self, view: ContactView, touch: Touch) -> Item:
        object_id = engagement_id(view.index, touch.slot)
        at = iso_ms(touch.ms)  # logged when it happened, never edited since
        properties: Properties = {
            "hs_createdate": at,
            "hs_lastmodifieddate": at,
            "hs_object_id": object_id,
            "hs_timestamp": at,
            "hubspot_owner_id": touch.owner_id,
        }
        who = f"{view.profile.firstname} {view.profile.lastname}"
        if self.name == "calls":
            properties.update(
                hs_call_direction="OUTBOUND",
                hs_call_duration=str(60_000 + (touch.ms % 900) * 1000) if touch.first else "0",
                hs_call_status="COMPLETED" if touch.first else "NO_ANSWER",
                hs_call_title=f"Call with {who}",
            )
        elif self.name == "emails":
            properties.update(
                hs_email_direction="EMAIL",
                hs_email_status="SENT",
                hs_email_subject=f"Following up, {view.profile.firstname}" if touch.first else "Checking in",
            )
        else:
            properties.update(
                hs_meeting_end_time=iso_ms(touch.ms + 1_800_000),
                hs_meeting_outcome="COMPLETED",
                hs_meeting_start_time=at,
                hs_meeting_title=f"Intro meeting: {who}",
            )
        position = view.index * ENGAGEMENT_SLOTS + touch.slot
        return Item(position, object_id, touch.ms, touch.ms, None, properties, {})

    def scan(self, start: int) -> Iterator[Item]:
        for index in range(start // ENGAGEMENT_SLOTS, self.contact_count):
            view = self.contacts.view(index)
            for touch in view.touches:
                if touch.kind == self.name and index * ENGAGEMENT_SLOTS + touch.slot >= start:
                    yield self.item(view, touch)

    def find_touch(self, object_id: str) -> tuple[ContactView, Touch] | None:
        position = index_of(object_id, ENGAGEMENT_ID_BASE, 1)
        if position is None or position // ENGAGEMENT_SLOTS >= self.contact_count:
            return None
        view = self.contacts.view(position // ENGAGEMENT_SLOTS)
        for touch in view.touches:
            if touch.slot == position % ENGAGEMENT_SLOTS and touch.kind == self.name:
                return view, touch
        return None

    def find(self, object_id: str) -> Item | None:
        found = self.find_touch(object_id)
        return self.item(*found) if found is not None else None


ENGAGEMENT_TYPE_NAMES = tuple(ENGAGEMENT_DEFS)


def object_types(story: Story, now_ms: int) -> dict[str, ObjectType]:
    contacts = Contacts(story, now_ms)
    types: dict[str, ObjectType] = {
        "contacts": contacts,
        "companies": Companies(story, now_ms),
        "deals": Deals(story, now_ms, contacts),
    }
    for name in ENGAGEMENT_TYPE_NAMES:
        types[name] = Engagements(name, story, now_ms, contacts)
    return types
