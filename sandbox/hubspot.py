"""HubSpot CRM v3 emulation: auth, errors, rate limit and the contacts list, as the real API behaves.

Quirks reproduced on purpose (see /work/shared/docs/api-reference.md): every property value is a string
or null; ``after`` is an opaque cursor (base64, so it needs URL-encoding); ``paging`` is absent on the last
page; unknown property names are ignored; ``archived=true`` returns only archived records; ``Retry-After``
comes with only some 429s.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import threading
import uuid
from collections.abc import Callable
from urllib.parse import urlencode

from sandbox.ratelimit import Decision, RollingWindow
from sandbox.server import Request, Response
from sandbox.story import UNKNOWN_LIFECYCLE_VALUE, ContactView, Stage, Story, iso_ms

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
DAILY_LIMIT = 250_000
STAGE_DATE_PROPERTIES = tuple(f"hs_lifecyclestage_{stage.value}_date" for stage in Stage)
CONTACT_PROPERTIES = (
    "company",
    "createdate",
    "email",
    "firstname",
    "hs_analytics_source",
    "hs_object_id",
    *STAGE_DATE_PROPERTIES,
    "hubspot_owner_id",
    "hubspotscore",
    "jobtitle",
    "lastmodifieddate",
    "lastname",
    "lifecyclestage",
)
DEFAULT_CONTACT_PROPERTIES = ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname")
# HubSpot adds these to whatever properties were asked for.
ALWAYS_RETURNED = ("createdate", "hs_object_id", "lastmodifieddate")
AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more "
    "details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


class ValidationError(Exception):
    """A bad request parameter: HubSpot answers 400 with category VALIDATION_ERROR."""


def error_body(message: str, category: str) -> dict[str, object]:
    return {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category}


def contact_properties(view: ContactView) -> dict[str, str | None]:
    """All served properties of a contact, rendered the HubSpot way (strings or null)."""
    stage = view.stage
    owner_id = view.owner_id
    properties: dict[str, str | None] = {
        "company": view.profile.company,
        "createdate": iso_ms(view.created_ms),
        "email": view.email,
        "firstname": view.profile.firstname,
        "hs_analytics_source": view.profile.source,
        "hs_object_id": view.id,
        "hubspot_owner_id": owner_id,
        "hubspotscore": str(view.score),
        "jobtitle": view.profile.jobtitle,
        "lastmodifieddate": iso_ms(view.updated_ms),
        "lastname": view.profile.lastname,
        "lifecyclestage": stage.value if stage is not None else UNKNOWN_LIFECYCLE_VALUE,
    }
    properties.update(dict.fromkeys(STAGE_DATE_PROPERTIES))
    for entered, at_ms in view.stage_entries:
        properties[f"hs_lifecyclestage_{entered.value}_date"] = iso_ms(at_ms)
    return properties


def contact_record(view: ContactView, selected: tuple[str, ...]) -> dict[str, object]:
    everything = contact_properties(view)
    record: dict[str, object] = {
        "id": view.id,
        "properties": {name: everything[name] for name in selected},
        "createdAt": iso_ms(view.created_ms),
        "updatedAt": iso_ms(view.updated_ms),
        "archived": view.archived,
    }
    if view.archived:
        assert view.profile.archived_ms is not None
        record["archivedAt"] = iso_ms(view.profile.archived_ms)
    return record


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


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise ValidationError(f"Invalid input for 'limit': '{raw}' is not an integer") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"Invalid input for 'limit': must be between 1 and {MAX_LIMIT}, got {limit}")
    return limit


def parse_archived(raw: str | None) -> bool:
    if raw is None or raw == "" or raw.lower() == "false":
        return False
    if raw.lower() == "true":
        return True
    raise ValidationError(f"Invalid input for 'archived': '{raw}' is not a boolean")


def select_properties(request: Request) -> tuple[str, ...]:
    """Requested known properties plus the always-returned ones, in HubSpot's (alphabetical) order."""
    requested = {name.strip() for value in request.params("properties") for name in value.split(",")}
    requested.discard("")
    if not requested:
        return DEFAULT_CONTACT_PROPERTIES
    return tuple(name for name in CONTACT_PROPERTIES if name in requested or name in ALWAYS_RETURNED)


Handler = Callable[[Request], Response]


class HubSpotApi:
    """Everything under ``/crm/``. Add object types by registering more routes in ``__init__``."""

    prefix = "/crm/"

    def __init__(self, story: Story, now_ms: int, token: str, window: RollingWindow) -> None:
        self.story = story
        self.now_ms = now_ms
        self.token = token
        self.window = window
        self.contact_count = story.count_at(now_ms)
        self._daily_used = 0
        self._refusals = 0
        self._lock = threading.Lock()
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"/crm/v3/objects/contacts/?"), self.list_contacts),
        ]

    def handle(self, request: Request) -> Response:
        if not self._authorized(request):
            return Response(401, error_body(AUTH_MESSAGE, "INVALID_AUTHENTICATION"))
        handler = self._route(request)
        if handler is None:
            message = f"Unable to find a resource for {request.method} {request.path}"
            return Response(404, error_body(message, "OBJECT_NOT_FOUND"))
        decision = self.window.acquire()
        if not decision.allowed:
            return self._too_many_requests(decision)
        try:
            response = handler(request)
        except ValidationError as error:
            response = Response(400, error_body(str(error), "VALIDATION_ERROR"))
        response.headers.update(self._limit_headers(decision))
        return response

    def _authorized(self, request: Request) -> bool:
        scheme, _, credential = (request.header("Authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(credential.strip(), self.token)

    def _route(self, request: Request) -> Handler | None:
        for method, pattern, handler in self.routes:
            if method == request.method and pattern.fullmatch(request.path):
                return handler
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

    def _too_many_requests(self, decision: Decision) -> Response:
        """429 with HubSpot's body; ``Retry-After`` on every other refusal, since the real one is unreliable."""
        with self._lock:
            self._refusals += 1
            with_retry_after = self._refusals % 2 == 1
        body = {
            "status": "error",
            "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()),
            "policyName": "TEN_SECONDLY_ROLLING",
        }
        headers = {
            "X-HubSpot-RateLimit-Max": str(decision.limit),
            "X-HubSpot-RateLimit-Remaining": "0",
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.window.window_s * 1000)),
        }
        if with_retry_after:
            headers["Retry-After"] = str(decision.retry_after_s)
        return Response(429, body, headers)

    def list_contacts(self, request: Request) -> Response:
        limit = parse_limit(request.param("limit"))
        archived = parse_archived(request.param("archived"))
        after = request.param("after")
        start = decode_after(after) if after else 0
        selected = select_properties(request)
        views, next_index = self._contact_page(start, limit, archived)
        body: dict[str, object] = {"results": [contact_record(view, selected) for view in views]}
        if next_index is not None:
            cursor = encode_after(next_index)
            body["paging"] = {"next": {"after": cursor, "link": self._next_link(request, cursor)}}
        return Response(200, body)

    def _contact_page(self, start: int, limit: int, archived: bool) -> tuple[list[ContactView], int | None]:
        """Up to ``limit`` contacts from index ``start`` on, and the index the next page starts at (if any).

        Archived and active contacts are interleaved in index order, so each page scans forward; the
        cursor is the index of the first record *not* returned, which tells us exactly whether one exists.
        """
        views: list[ContactView] = []
        for index in range(start, self.contact_count):
            view = self.story.view(index, self.now_ms)
            if view.archived != archived:
                continue
            if len(views) == limit:
                return views, index
            views.append(view)
        return views, None

    @staticmethod
    def _next_link(request: Request, cursor: str) -> str:
        query = [(name, value) for name, value in request.query if name != "after"] + [("after", cursor)]
        host = request.header("Host") or "127.0.0.1"
        return f"http://{host}{request.path}?{urlencode(query)}"
