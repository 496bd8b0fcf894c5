"""HubSpot CRM emulation: auth, errors, rate limits, object lists, search, associations, owners, pipelines and
properties, as the real API behaves.

Quirks reproduced on purpose (see /work/shared/docs/api-reference.md): every property value is a string
or null; ``after`` is an opaque cursor (base64, so it needs URL-encoding); ``paging`` is absent on the last
page; unknown property names are ignored; ``archived=true`` returns only archived records; ``Retry-After``
comes with only some 429s; history is newest first and needs ``limit`` <= 50; search takes epoch-ms
filters, one sort, at most 200 per page and never pages past 10,000 results (HTTP 400).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

from sandbox.hubspot_objects import (
    CONTACT_DEFS,
    DEAL_STAGE_IDS,
    Contacts,
    Deals,
    Engagements,
    Item,
    ObjectType,
    engagement_id,
    object_types,
)
from sandbox.ratelimit import UNLIMITED, Decision, RollingWindow
from sandbox.server import Request, Response, TokenLifetime
from sandbox.story import DEAL_STAGES, Story, iso_ms, parse_instant, to_ms

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
MAX_HISTORY_LIMIT = 50
MAX_SEARCH_LIMIT = 200
SEARCH_RESULT_CAP = 10_000
SEARCH_PER_SECOND = 5
MAX_FILTER_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_BATCH_INPUTS = 1000
MAX_BATCH_READ_INPUTS = 100
MAX_BATCH_READ_HISTORY_INPUTS = 50
# idProperty values batch read accepts besides hs_object_id: HubSpot's unique-value properties we serve.
UNIQUE_ID_PROPERTIES = {"contacts": "email", "companies": "domain"}
OWNERS_DEFAULT_LIMIT = 100
OWNERS_MAX_LIMIT = 500
DAILY_LIMIT = 250_000
CONTACT_PROPERTIES = tuple(definition[0] for definition in sorted(CONTACT_DEFS))
DEFAULT_CONTACT_PROPERTIES = Contacts.default_properties
ALWAYS_RETURNED = Contacts.always_returned
AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more "
    "details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
SEARCH_OPERATORS: dict[str, Callable[[int, int], bool]] = {
    "EQ": lambda value, target: value == target,
    "NEQ": lambda value, target: value != target,
    "GT": lambda value, target: value > target,
    "GTE": lambda value, target: value >= target,
    "LT": lambda value, target: value < target,
    "LTE": lambda value, target: value <= target,
}
# HubSpot's association type ids (HUBSPOT_DEFINED); the first one of a pair is the primary label if two.
ASSOCIATION_TYPES: dict[tuple[str, str], tuple[tuple[int, str | None], ...]] = {
    ("contacts", "companies"): ((1, "Primary"), (279, None)),
    ("contacts", "deals"): ((4, None),),
    ("contacts", "calls"): ((193, None),),
    ("contacts", "emails"): ((197, None),),
    ("contacts", "meetings"): ((199, None),),
    ("deals", "contacts"): ((3, None),),
    ("deals", "companies"): ((5, "Primary"), (341, None)),
    ("calls", "contacts"): ((194, None),),
    ("emails", "contacts"): ((198, None),),
    ("meetings", "contacts"): ((200, None),),
}
_SINGULAR = {"contact": "contacts", "company": "companies", "deal": "deals", "call": "calls", "email": "emails"}
_SINGULAR["meeting"] = "meetings"


class ValidationError(Exception):
    """A bad request parameter: HubSpot answers 400 with category VALIDATION_ERROR."""


class NotFoundError(Exception):
    """HubSpot answers 404 with category OBJECT_NOT_FOUND."""


def error_body(message: str, category: str) -> dict[str, object]:
    return {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category}


def encode_after(index: int) -> str:
    return base64.b64encode(f"{index}\n".encode()).decode()


def decode_after(after: str) -> int:
    try:
        index = int(base64.b64decode(after, validate=True).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationError(f"Invalid input for 'after': '{after}' is not a valid paging cursor") from None
    if index < 0:
        raise ValidationError(f"Invalid input for 'after': '{after}' is not a valid paging cursor")
    return index


def parse_limit(raw: str | None, maximum: int = MAX_LIMIT, default: int = DEFAULT_LIMIT) -> int:
    if raw is None or raw == "":
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise ValidationError(f"Invalid input for 'limit': '{raw}' is not an integer") from None
    if not 1 <= limit <= maximum:
        raise ValidationError(f"Invalid input for 'limit': must be between 1 and {maximum}, got {limit}")
    return limit


def parse_archived(raw: str | None) -> bool:
    if raw is None or raw == "" or raw.lower() == "false":
        return False
    if raw.lower() == "true":
        return True
    raise ValidationError(f"Invalid input for 'archived': '{raw}' is not a boolean")


def _names(values: list[str]) -> set[str]:
    names = {name.strip() for value in values for name in value.split(",")}
    names.discard("")
    return names


def select(kind: ObjectType, requested: set[str]) -> tuple[str, ...]:
    """Requested known properties plus the always-returned ones, in HubSpot's (alphabetical) order."""
    if not requested:
        return kind.default_properties
    return tuple(name for name in kind.property_names if name in requested or name in kind.always_returned)


Handler = Callable[[Request, re.Match[str]], Response]


class HubSpotApi:
    """Everything under ``/crm/``. Add endpoints by registering more routes in ``__init__``."""

    prefix = "/crm/"

    def __init__(
        self,
        story: Story,
        now_ms: int,
        token: str,
        window: RollingWindow,
        search_window: RollingWindow | None = None,
        token_lifetime: TokenLifetime | None = None,
    ) -> None:
        self.story = story
        self.now_ms = now_ms
        self.token = token
        self.token_lifetime = token_lifetime or TokenLifetime()
        self.window = window
        self.search_window = search_window or RollingWindow(None, 1.0)
        self.types = object_types(story, now_ms)
        self.contact_count = story.count_at(now_ms)
        self._search_index: dict[str, list[tuple[int, int, int, int]]] = {}
        self._unique_index: dict[str, dict[str, str]] = {}
        self._daily_used = 0
        self._refusals = 0
        self._lock = threading.Lock()
        self._index_lock = threading.Lock()
        self.routes: list[tuple[str, re.Pattern[str], Handler, bool]] = [
            ("GET", re.compile(r"/crm/v3/objects/(\w+)/?"), self.list_objects, False),
            ("POST", re.compile(r"/crm/v3/objects/(\w+)/search/?"), self.search, True),
            ("POST", re.compile(r"/crm/v3/objects/(\w+)/batch/read/?"), self.batch_read, False),
            ("POST", re.compile(r"/crm/v4/associations/(\w+)/(\w+)/batch/read/?"), self.associations, False),
            ("GET", re.compile(r"/crm/v3/owners/?"), self.owners, False),
            ("GET", re.compile(r"/crm/v3/pipelines/(\w+)/?"), self.pipelines, False),
            ("GET", re.compile(r"/crm/v3/properties/(\w+)/?"), self.properties, False),
        ]

    # --- plumbing -------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if not self._authorized(request):
            return Response(401, error_body(AUTH_MESSAGE, "INVALID_AUTHENTICATION"))
        if not self.token_lifetime.spend():
            return self._expired()
        route = self._route(request)
        if route is None:
            message = f"Unable to find a resource for {request.method} {request.path}"
            return Response(404, error_body(message, "OBJECT_NOT_FOUND"))
        handler, match, is_search = route
        decision = (self.search_window if is_search else self.window).acquire()
        if not decision.allowed:
            return self._too_many_requests(decision, is_search)
        try:
            response = handler(request, match)
        except ValidationError as error:
            response = Response(400, error_body(str(error), "VALIDATION_ERROR"))
        except NotFoundError as error:
            response = Response(404, error_body(str(error), "OBJECT_NOT_FOUND"))
        if not is_search:  # search responses carry no rate limit headers
            response.headers.update(self._limit_headers(decision))
        return response

    def _expired(self) -> Response:
        """HubSpot's answer to an OAuth access token past its lifetime (``--token-expires-after``)."""
        expired_at = self.token_lifetime.expired_at or time.time()
        ago = max(0, int(time.time() - expired_at))
        body = error_body(
            f"The OAuth token used to make this call expired {ago} second(s) ago.", "EXPIRED_AUTHENTICATION"
        )
        stamp = datetime.fromtimestamp(expired_at, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        body["context"] = {"expire time": [stamp]}
        return Response(401, body)

    def fault_response(self, request: Request, status: int, sequence: int) -> Response | None:
        """An injected 429 is HubSpot's own (SECONDLY for search, Retry-After on every other one); 5xx come from
        the edge in front of the API, so the server's generic pages do for those."""
        if status != 429:
            return None
        route = self._route(request)
        is_search = route is not None and route[2]
        window = self.search_window if is_search else self.window
        limit = window.limit or UNLIMITED
        return self._too_many_requests(Decision(False, limit, 0, 1 + sequence % int(window.window_s)), is_search)

    def _authorized(self, request: Request) -> bool:
        scheme, _, credential = (request.header("Authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(credential.strip(), self.token)

    def _route(self, request: Request) -> tuple[Handler, re.Match[str], bool] | None:
        for method, pattern, handler, is_search in self.routes:
            match = pattern.fullmatch(request.path)
            if method == request.method and match is not None:
                return handler, match, is_search
        return None

    def _limit_headers(self, decision: Decision) -> dict[str, str]:
        with self._lock:
            self._daily_used += 1
            daily_remaining = max(0, DAILY_LIMIT - self._daily_used)
        return {
            "X-HubSpot-RateLimit-Max": str(decision.limit),
            "X-HubSpot-RateLimit-Remaining": str(decision.remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.window.window_s * 1000)),
            "X-HubSpot-RateLimit-Daily": str(DAILY_LIMIT),
            "X-HubSpot-RateLimit-Daily-Remaining": str(daily_remaining),
        }

    def _too_many_requests(self, decision: Decision, is_search: bool) -> Response:
        """429 with HubSpot's body; ``Retry-After`` on every other refusal, since the real one is unreliable."""
        with self._lock:
            self._refusals += 1
            with_retry_after = self._refusals % 2 == 1
        policy = "SECONDLY" if is_search else "TEN_SECONDLY_ROLLING"
        body = {
            "status": "error",
            "message": f"You have reached your {policy.lower()} limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()),
            "policyName": policy,
        }
        headers = {}
        if not is_search:
            headers = {
                "X-HubSpot-RateLimit-Max": str(decision.limit),
                "X-HubSpot-RateLimit-Remaining": "0",
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.window.window_s * 1000)),
            }
        if with_retry_after:
            headers["Retry-After"] = str(decision.retry_after_s)
        return Response(429, body, headers)

    def _kind(self, name: str) -> ObjectType:
        kind = self.types.get(name)
        if kind is None:
            raise NotFoundError(f"Unable to infer object type from: {name}")
        return kind

    # --- list -----------------------------------------------------------------------------------------

    def list_objects(self, request: Request, match: re.Match[str]) -> Response:
        kind = self._kind(match.group(1))
        with_history = tuple(
            name for name in kind.property_names if name in _names(request.params("propertiesWithHistory"))
        )
        limit = parse_limit(request.param("limit"))
        if with_history and limit > MAX_HISTORY_LIMIT:
            raise ValidationError(
                f"Invalid input for 'limit': at most {MAX_HISTORY_LIMIT} records per page can be requested "
                f"with propertiesWithHistory, got {limit}"
            )
        archived = parse_archived(request.param("archived"))
        after = request.param("after")
        start = decode_after(after) if after else 0
        selected = select(kind, _names(request.params("properties")))
        items, next_position = self._page(kind, start, limit, archived)
        linked = [
            name
            for name in sorted({_SINGULAR.get(name, name) for name in _names(request.params("associations"))})
            if (kind.name, name) in ASSOCIATION_TYPES
        ]
        results = []
        for item in items:
            record = kind.record(item, selected, with_history)
            if linked and not item.archived:
                self._add_associations(record, kind.name, item.id, linked)
            results.append(record)
        body: dict[str, object] = {"results": results}
        if next_position is not None:
            cursor = encode_after(next_position)
            body["paging"] = {"next": {"after": cursor, "link": self._next_link(request, cursor)}}
        return Response(200, body)

    @staticmethod
    def _page(kind: ObjectType, start: int, limit: int, archived: bool) -> tuple[list[Item], int | None]:
        """Up to ``limit`` objects from position ``start`` on, and the position the next page starts at.

        Archived and active objects are interleaved in id order, so each page scans forward; the cursor is
        the position of the first object *not* returned, which tells us exactly whether one exists.
        """
        if archived and not kind.has_archived:
            return [], None
        items: list[Item] = []
        for item in kind.scan(start):
            if item.archived != archived:
                continue
            if len(items) == limit:
                return items, item.position
            items.append(item)
        return items, None

    @staticmethod
    def _next_link(request: Request, cursor: str) -> str:
        query = [(name, value) for name, value in request.query if name != "after"] + [("after", cursor)]
        host = request.header("Host") or "127.0.0.1"
        return f"http://{host}{request.path}?{urlencode(query)}"

    def _add_associations(self, record: dict[str, object], from_type: str, object_id: str, linked: list[str]) -> None:
        """The list's ``associations=`` parameter: v3 shape, one entry per association type, empty ones left out."""
        found: dict[str, object] = {}
        for to_type in linked:
            names = [f"{from_type[:-1]}_to_{to_type[:-1]}".replace("companie", "company")]
            names += [names[0] + "_unlabeled"] * (len(ASSOCIATION_TYPES[(from_type, to_type)]) - 1)
            targets = self._associated(from_type, to_type, object_id) or []
            entries = [{"id": target, "type": name} for target in targets for name in names]
            if entries:
                found[to_type] = {"results": entries}
        if found:
            record["associations"] = found

    # --- batch read -----------------------------------------------------------------------------------

    def batch_read(self, request: Request, match: re.Match[str]) -> Response:
        """``POST /crm/v3/objects/{type}/batch/read``: records by id, rendered exactly as the list renders them.

        Missing ids (or archived ones when ``archived`` is false, and active ones when it is true) make the
        answer an HTTP 207 whose one error lists them all, as HubSpot's multi-status does.
        """
        kind = self._kind(match.group(1))
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise ValidationError("Invalid input JSON on line 1: the request body is not valid JSON") from None
        raw_inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(raw_inputs, list) or not all(
            isinstance(entry, dict) and isinstance(entry.get("id"), str | int) for entry in raw_inputs
        ):
            raise ValidationError(
                "Invalid input JSON: Cannot build BatchReadInputSimplePublicObjectId, some of required attributes "
                'are not set [inputs]; expected {"inputs":[{"id":"..."}]}'
            )
        requested, history_requested = (body.get(key) or [] for key in ("properties", "propertiesWithHistory"))
        if not all(isinstance(names, list) for names in (requested, history_requested)):
            raise ValidationError("Invalid input: 'properties' and 'propertiesWithHistory' must be lists of names")
        with_history = tuple(name for name in kind.property_names if name in {str(n) for n in history_requested})
        maximum = MAX_BATCH_READ_HISTORY_INPUTS if history_requested else MAX_BATCH_READ_INPUTS
        if len(raw_inputs) > maximum:
            raise ValidationError(
                f"Too many inputs: batch read takes at most {maximum} inputs"
                f"{' with propertiesWithHistory' if history_requested else ''}, got {len(raw_inputs)}"
            )
        raw_archived = body.get("archived", request.param("archived"))  # HubSpot takes it as a query parameter
        archived = parse_archived(None if raw_archived is None else str(raw_archived))
        id_property = body.get("idProperty") or "hs_object_id"
        selected = select(kind, {str(name) for name in requested})
        ids = list(dict.fromkeys(str(entry["id"]) for entry in raw_inputs))  # a repeated id comes back once
        results, missing = [], []
        for value in ids:
            object_id = value if id_property == "hs_object_id" else self._by_unique(kind, id_property).get(value)
            item = kind.find(object_id) if object_id is not None else None
            if item is None or item.archived != archived:
                missing.append(value)
                continue
            results.append(kind.record(item, selected, with_history))
        now = iso_ms(self.now_ms)
        response: dict[str, object] = {"status": "COMPLETE", "results": results}
        if missing:
            response["numErrors"] = 1
            response["errors"] = [
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": f"Could not get some {kind.name[:-1].upper().replace('COMPANIE', 'COMPANY')} objects, "
                    "they may be deleted or not exist. Check that ids are valid.",
                    "context": {"ids": missing},
                }
            ]
        response["startedAt"] = response["completedAt"] = now
        return Response(207 if missing else 200, response)

    def _by_unique(self, kind: ObjectType, id_property: str) -> dict[str, str]:
        """Value of a unique property -> object id, built on first use (a full scan, like the search index)."""
        if UNIQUE_ID_PROPERTIES.get(kind.name) != id_property:
            supported = ", ".join(["hs_object_id", *filter(None, [UNIQUE_ID_PROPERTIES.get(kind.name)])])
            raise ValidationError(
                f"Invalid idProperty '{id_property}': it is not a unique-value property of {kind.name} "
                f"(supported: {supported})"
            )
        with self._index_lock:
            index = self._unique_index.get(kind.name)
            if index is None:
                index = {}
                for item in kind.scan(0):
                    value = item.properties.get(id_property)
                    if value is not None:
                        index.setdefault(value, item.id)  # a planted duplicate email resolves to the first one
                self._unique_index[kind.name] = index
            return index

    # --- search ---------------------------------------------------------------------------------------

    def _index(self, kind: ObjectType) -> list[tuple[int, int, int, int]]:
        """(id, created ms, last modified ms, position) of every active object, built on the first search."""
        with self._index_lock:
            index = self._search_index.get(kind.name)
            if index is None:
                index = list(kind.search_rows())
                self._search_index[kind.name] = index
            return index

    def search(self, request: Request, match: re.Match[str]) -> Response:
        kind = self._kind(match.group(1))
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise ValidationError("Invalid input JSON on line 1: the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ValidationError("Invalid input JSON: expected an object")
        fields = {"hs_object_id": 0, kind.created_property: 1, kind.modified_property: 2}
        groups = self._filter_groups(body.get("filterGroups") or [], fields)
        sorts = body.get("sorts") or []
        if not isinstance(sorts, list) or len(sorts) > 1:
            raise ValidationError("Invalid input: a search takes at most one sort")
        sort_field, descending = 0, False
        if sorts:
            sort = sorts[0]
            name = sort.get("propertyName") if isinstance(sort, dict) else None
            if name not in fields:
                raise ValidationError(f"Invalid sort: the sandbox sorts {kind.name} only by {', '.join(fields)}")
            direction = sort.get("direction", "ASCENDING")
            if direction not in ("ASCENDING", "DESCENDING"):
                raise ValidationError(f"Invalid sort direction '{direction}': use ASCENDING or DESCENDING")
            sort_field, descending = fields[name], direction == "DESCENDING"
        limit = parse_limit(None if body.get("limit") is None else str(body["limit"]), MAX_SEARCH_LIMIT)
        raw_after = body.get("after")
        try:
            after = int(raw_after) if raw_after not in (None, "") else 0
        except (TypeError, ValueError):
            raise ValidationError(f"Invalid input for 'after': '{raw_after}' is not an integer") from None
        if after < 0:
            raise ValidationError(f"Invalid input for 'after': '{raw_after}' must not be negative")
        if after >= SEARCH_RESULT_CAP:
            raise ValidationError(
                f"There was a problem with the request: search results are limited to {SEARCH_RESULT_CAP} per "
                "query, and 'after' asks past that. Narrow the query with filters instead of paging further."
            )
        requested = body.get("properties") or []
        if not isinstance(requested, list):
            raise ValidationError("Invalid input: 'properties' must be a list of property names")
        selected = select(kind, {str(name) for name in requested})

        rows = [row for row in self._index(kind) if not groups or any(all(f(row) for f in g) for g in groups)]
        if sort_field or descending:
            rows.sort(key=lambda row: (row[sort_field], row[0]), reverse=descending)
        page = rows[after : min(after + limit, SEARCH_RESULT_CAP)]
        results = []
        for row in page:
            item = kind.find(str(row[0]))
            assert item is not None
            results.append(kind.record(item, selected))
        response: dict[str, object] = {"total": len(rows), "results": results}
        following = after + len(page)
        if following < len(rows):
            response["paging"] = {"next": {"after": str(following), "link": f"?after={following}"}}
        return Response(200, response)

    @staticmethod
    def _filter_groups(groups: object, fields: dict[str, int]) -> list[list[Callable[[tuple], bool]]]:
        if not isinstance(groups, list) or len(groups) > MAX_FILTER_GROUPS:
            raise ValidationError(f"Invalid input: at most {MAX_FILTER_GROUPS} filterGroups are allowed")
        parsed = []
        for group in groups:
            filters = group.get("filters") if isinstance(group, dict) else None
            if not isinstance(filters, list) or len(filters) > MAX_FILTERS_PER_GROUP:
                raise ValidationError(f"Invalid input: each filterGroup takes 1 to {MAX_FILTERS_PER_GROUP} filters")
            checks = []
            for spec in filters:
                if not isinstance(spec, dict):
                    raise ValidationError("Invalid input: a filter must be an object")
                name, operator = spec.get("propertyName"), spec.get("operator")
                if name not in fields:
                    raise ValidationError(
                        f"Invalid filter on '{name}': the sandbox filters only on {', '.join(fields)}"
                    )
                if operator not in SEARCH_OPERATORS:
                    raise ValidationError(
                        f"Invalid filter operator '{operator}': supported are {', '.join(SEARCH_OPERATORS)}"
                    )
                try:
                    target = int(str(spec.get("value")))
                except ValueError:
                    raise ValidationError(
                        f"Invalid filter value '{spec.get('value')}' for '{name}': expected an integer "
                        "(epoch milliseconds for dates)"
                    ) from None
                compare, position = SEARCH_OPERATORS[operator], fields[name]
                checks.append(lambda row, c=compare, p=position, t=target: c(row[p], t))
            parsed.append(checks)
        return parsed

    # --- associations ---------------------------------------------------------------------------------

    def associations(self, request: Request, match: re.Match[str]) -> Response:
        from_type = _SINGULAR.get(match.group(1), match.group(1))
        to_type = _SINGULAR.get(match.group(2), match.group(2))
        for name in (from_type, to_type):
            self._kind(name)
        types = ASSOCIATION_TYPES.get((from_type, to_type))
        if types is None:
            raise ValidationError(f"The sandbox does not emulate associations from {from_type} to {to_type}")
        try:
            body = json.loads(request.body or b"{}")
            inputs = [str(entry["id"]) for entry in body["inputs"]]
        except (ValueError, KeyError, TypeError):
            raise ValidationError('Invalid input JSON: expected {"inputs":[{"id":"..."}]}') from None
        if len(inputs) > MAX_BATCH_INPUTS:
            raise ValidationError(f"Too many inputs: at most {MAX_BATCH_INPUTS} per batch, got {len(inputs)}")
        results, missing = [], []
        for object_id in inputs:
            targets = self._associated(from_type, to_type, object_id)
            if targets is None:
                missing.append(object_id)
                continue
            to = [
                {
                    "toObjectId": int(target),
                    "associationTypes": [
                        {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": label} for type_id, label in types
                    ],
                }
                for target in targets
            ]
            results.append({"from": {"id": object_id}, "to": to})
        now = iso_ms(self.now_ms)
        response: dict[str, object] = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
        if not missing:
            return Response(200, response)
        response["numErrors"] = len(missing)
        response["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": f"No {from_type} with id {object_id} exists",
                "context": {"id": [object_id]},
            }
            for object_id in missing
        ]
        return Response(207, response)

    def _associated(self, from_type: str, to_type: str, object_id: str) -> list[str] | None:
        """Ids of the ``to_type`` objects associated with ``object_id``; None if that object does not exist."""
        contacts = self.types["contacts"]
        assert isinstance(contacts, Contacts)
        if from_type == "contacts":
            view = contacts.find_view(object_id)
            if view is None or view.archived:
                return None
            if to_type == "companies":
                return [self.story.company(view.profile.company_index).id]
            if to_type == "deals":
                return [view.deal.deal.id] if view.deal is not None else []
            return [engagement_id(view.index, t.slot) for t in view.touches if t.kind == to_type]
        if from_type == "deals":
            deals = self.types["deals"]
            assert isinstance(deals, Deals)
            deal = deals.find_view(object_id)
            if deal is None:
                return None
            view = contacts.view(deal.deal.index)
            if to_type == "contacts":
                return [view.id]
            return [self.story.company(view.profile.company_index).id]
        engagements = self.types[from_type]
        assert isinstance(engagements, Engagements)
        found = engagements.find_touch(object_id)
        return None if found is None else [found[0].id]

    # --- owners, pipelines, properties ----------------------------------------------------------------

    def owners(self, request: Request, match: re.Match[str]) -> Response:
        limit = parse_limit(request.param("limit"), OWNERS_MAX_LIMIT, OWNERS_DEFAULT_LIMIT)
        if parse_archived(request.param("archived")):
            return Response(200, {"results": []})  # no owner has left (yet)
        after = request.param("after")
        start = decode_after(after) if after else 0
        owners = self.story.owners
        results = [
            {
                "id": owner.id,
                "email": owner.email,
                "type": "PERSON",
                "firstName": owner.firstname,
                "lastName": owner.lastname,
                "userId": owner.user_id,
                "userIdIncludingInactive": owner.user_id,
                "createdAt": iso_ms(owner.created_ms),
                "updatedAt": iso_ms(owner.created_ms),
                "archived": False,
                "teams": [{"id": str(1000 + len(owner.team)), "name": owner.team, "primary": True}],
            }
            for owner in owners[start : start + limit]
        ]
        body: dict[str, object] = {"results": results}
        if start + limit < len(owners):
            cursor = encode_after(start + limit)
            body["paging"] = {"next": {"after": cursor, "link": self._next_link(request, cursor)}}
        return Response(200, body)

    def pipelines(self, request: Request, match: re.Match[str]) -> Response:
        name = match.group(1)
        if name != "deals":
            self._kind(name)
            raise NotFoundError(f"The sandbox has no pipelines for {name}")
        created = iso_ms(to_ms(parse_instant("2025-06-02T09:00:00Z")))
        stages = [
            {
                "id": stage_id,
                "label": label,
                "displayOrder": order,
                "metadata": {"isClosed": str(stage_id in ("closedwon", "closedlost")).lower(), "probability": odds},
                "createdAt": created,
                "updatedAt": created,
                "archived": False,
            }
            for order, (stage_id, label, odds) in enumerate(DEAL_STAGES)
        ]
        assert [stage["id"] for stage in stages] == list(DEAL_STAGE_IDS)
        pipeline = {
            "id": "default",
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "stages": stages,
            "createdAt": created,
            "updatedAt": created,
            "archived": False,
        }
        return Response(200, {"results": [pipeline]})

    def properties(self, request: Request, match: re.Match[str]) -> Response:
        kind = self._kind(_SINGULAR.get(match.group(1), match.group(1)))
        results = []
        for order, (name, label, kind_type, field_type, options, hubspot_defined) in enumerate(kind.defs):
            definition: dict[str, object] = {
                "name": name,
                "label": label,
                "type": kind_type,
                "fieldType": field_type,
                "description": "",
                "groupName": f"{kind.name[:-1]}information",
                "options": [
                    {"label": option.replace("_", " ").title(), "value": option, "displayOrder": position}
                    for position, option in enumerate(options)
                ],
                "displayOrder": order,
                "calculated": name in ("hubspotscore", "hs_is_closed", "hs_is_closed_won"),
                "hasUniqueValue": name == "hs_object_id",
                "hidden": False,
                "formField": kind.name == "contacts" and kind_type == "string",
            }
            if hubspot_defined:
                definition["hubspotDefined"] = True
            results.append(definition)
        return Response(200, {"results": results})
