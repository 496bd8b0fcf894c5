"""Google Ads API emulation: ``customers:listAccessibleCustomers`` and ``googleAds:searchStream`` with a GAQL
subset, under any version segment ``/vNN/``.

Reproduced on purpose: ``Authorization: Bearer`` plus ``developer-token`` headers (401 ``UNAUTHENTICATED``
otherwise); the response is a JSON **array of batches** ``{"results","fieldMask","requestId"}``; names are
lowerCamelCase; int64 values (ids, ``costMicros``, clicks, impressions) are strings while doubles
(``conversions``) are numbers; rows without delivery are left out; days are the customer's time zone;
errors are ``{"error":{"code","message","status","details":[GoogleAdsFailure]}}`` with ``queryError``,
``authenticationError``, ``authorizationError`` or ``quotaError`` (429 ``RESOURCE_EXHAUSTED`` with
``retryDelay``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sandbox.ads.common import bearer, parse_day, same_secret, stable_id
from sandbox.ads.story import GOOGLE, ZERO, Account, AdGroup, AdStory, Campaign, DayMetrics, accounts
from sandbox.ratelimit import RollingWindow
from sandbox.server import Request, Response

DEFAULT_BATCH_SIZE = 10_000
QUOTA_WINDOW_S = 60.0
_AUTH_HINT = (
    "Expected OAuth 2 access token, login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


class GoogleAdsError(Exception):
    def __init__(self, http: int, status: str, message: str, kind: str, code: str, detail: str) -> None:
        super().__init__(detail)
        self.http, self.status, self.message, self.kind, self.code, self.detail = (
            http,
            status,
            message,
            kind,
            code,
            detail,
        )


def query_error(code: str, detail: str) -> GoogleAdsError:
    return GoogleAdsError(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", "queryError", code, detail)


@dataclass(frozen=True)
class Entity:
    account: Account
    campaign: Campaign | None
    group: AdGroup | None


@dataclass(frozen=True)
class Field:
    resource: str  # customer | campaign | ad_group | metrics | segments
    render: Callable[[AdStory, Entity, DayMetrics, date | None], object]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _ctr(m: DayMetrics) -> float:
    return m.clicks / m.impressions if m.impressions else 0.0


FIELDS: dict[str, Field] = {
    "customer.id": Field("customer", lambda s, e, m, d: e.account.id),
    "customer.resource_name": Field("customer", lambda s, e, m, d: f"customers/{e.account.id}"),
    "customer.descriptive_name": Field("customer", lambda s, e, m, d: e.account.name),
    "customer.currency_code": Field("customer", lambda s, e, m, d: e.account.currency),
    "customer.time_zone": Field("customer", lambda s, e, m, d: e.account.time_zone),
    "customer.manager": Field("customer", lambda s, e, m, d: False),
    "customer.status": Field("customer", lambda s, e, m, d: "ENABLED"),
    "campaign.id": Field("campaign", lambda s, e, m, d: e.campaign.id),  # type: ignore[union-attr]
    "campaign.resource_name": Field(
        "campaign",
        lambda s, e, m, d: f"customers/{e.account.id}/campaigns/{e.campaign.id}",  # type: ignore[union-attr]
    ),
    "campaign.name": Field("campaign", lambda s, e, m, d: e.campaign.name),  # type: ignore[union-attr]
    "campaign.status": Field("campaign", lambda s, e, m, d: s.status(e.campaign, e.account)),  # type: ignore[arg-type]
    "campaign.advertising_channel_type": Field("campaign", lambda s, e, m, d: "SEARCH"),
    "ad_group.id": Field("ad_group", lambda s, e, m, d: e.group.id),  # type: ignore[union-attr]
    "ad_group.resource_name": Field(
        "ad_group",
        lambda s, e, m, d: f"customers/{e.account.id}/adGroups/{e.group.id}",  # type: ignore[union-attr]
    ),
    "ad_group.name": Field("ad_group", lambda s, e, m, d: e.group.name),  # type: ignore[union-attr]
    "ad_group.status": Field("ad_group", lambda s, e, m, d: s.status(e.campaign, e.account)),  # type: ignore[arg-type]
    "ad_group.type": Field("ad_group", lambda s, e, m, d: "SEARCH_STANDARD"),
    "ad_group.campaign": Field(
        "ad_group",
        lambda s, e, m, d: f"customers/{e.account.id}/campaigns/{e.campaign.id}",  # type: ignore[union-attr]
    ),
    "metrics.cost_micros": Field("metrics", lambda s, e, m, d: str(m.spend_minor * 10_000)),
    "metrics.impressions": Field("metrics", lambda s, e, m, d: str(m.impressions)),
    "metrics.clicks": Field("metrics", lambda s, e, m, d: str(m.clicks)),
    "metrics.conversions": Field("metrics", lambda s, e, m, d: float(m.conversions)),
    "metrics.conversions_value": Field("metrics", lambda s, e, m, d: round(m.conversions * 80.0, 2)),
    "metrics.ctr": Field("metrics", lambda s, e, m, d: _ctr(m)),
    "metrics.average_cpc": Field("metrics", lambda s, e, m, d: m.spend_minor * 10_000 / m.clicks if m.clicks else 0.0),
    "segments.date": Field("segments", lambda s, e, m, d: d.isoformat() if d else None),
    "segments.day_of_week": Field("segments", lambda s, e, m, d: _WEEKDAYS[d.weekday()] if d else None),
    "segments.week": Field("segments", lambda s, e, m, d: (d - timedelta(days=d.weekday())).isoformat() if d else None),
}
# The FROM resource -> attribute resources its rows can carry.
RESOURCES = {
    "customer": ("customer",),
    "campaign": ("customer", "campaign"),
    "ad_group": ("customer", "campaign", "ad_group"),
}
FILTERABLE = {"campaign.status", "ad_group.status", "campaign.id", "ad_group.id", "customer.id", "campaign.name"}

_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<resource>\w+)(?:\s+WHERE\s+(?P<where>.+?))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order>.+?))?(?:\s+LIMIT\s+(?P<limit>\d+))?(?:\s+PARAMETERS\s+.+?)?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_VALUE = r"'[^']*'|\"[^\"]*\"|[\w.-]+"
_CONDITION = re.compile(
    rf"(?P<field>[a-z_.]+)\s+(?:BETWEEN\s+(?P<low>{_VALUE})\s+AND\s+(?P<high>{_VALUE})|DURING\s+(?P<preset>\w+)"
    rf"|(?P<op>!=|>=|<=|=|>|<)\s*(?P<value>{_VALUE})|(?P<inop>NOT\s+IN|IN)\s*\((?P<list>[^)]*)\))\s*",
    re.IGNORECASE,
)
_AND = re.compile(r"AND\s+", re.IGNORECASE)


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value


@dataclass
class Query:
    fields: list[str]
    resource: str
    since: date | None = None
    until: date | None = None
    preset: str | None = None
    filters: list[tuple[str, str, list[str]]] | None = None  # (field, op, values)
    order: list[tuple[str, bool]] | None = None  # (field, descending)
    limit: int | None = None


def parse_query(text: str) -> Query:
    match = _QUERY.match(text or "")
    if match is None:
        if not re.match(r"^\s*SELECT\b", text or "", re.IGNORECASE):
            raise query_error("EXPECTED_SELECT", "Expected SELECT at the start of the query.")
        raise query_error("EXPECTED_FROM", "Missing FROM clause.")
    resource = match.group("resource").lower()
    if resource not in RESOURCES:
        raise query_error(
            "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
            f"Error in query: unexpected resource '{match.group('resource')}' in FROM clause "
            "(the sandbox emulates customer, campaign and ad_group).",
        )
    fields = [name.strip() for name in match.group("fields").split(",")]
    for name in fields:
        if name not in FIELDS:
            raise query_error("UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{name}'.")
        if FIELDS[name].resource not in ("metrics", "segments", *RESOURCES[resource]):
            raise query_error(
                "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE",
                f"The following field is not allowed in SELECT clause with resource '{resource}': '{name}'.",
            )
    query = Query(fields, resource, filters=[])
    where = match.group("where")
    if where:
        _parse_where(where.strip(), query)
    if match.group("order"):
        query.order = []
        for part in match.group("order").split(","):
            name, _, direction = part.strip().partition(" ")
            if name not in FIELDS:
                raise query_error("UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{name}'.")
            query.order.append((name, direction.strip().upper() == "DESC"))
    if match.group("limit"):
        query.limit = int(match.group("limit"))
    dated = any(FIELDS[name].resource == "segments" for name in fields)
    if dated and query.preset is None and (query.since is None or query.until is None):
        raise query_error(
            "EXPECTED_FILTERS_ON_DATE_RANGE",
            "Filters on date are required when a date segment is in the SELECT clause: "
            "use segments.date BETWEEN 'YYYY-MM-DD' AND 'YYYY-MM-DD' or DURING.",
        )
    return query


def _day(value: str) -> date:
    try:
        return parse_day(_unquote(value))
    except ValueError:
        raise query_error("INVALID_DATE_FORMAT", f"Invalid date format: {value}; expected 'YYYY-MM-DD'.") from None


def _parse_where(where: str, query: Query) -> None:
    position = 0
    while True:
        match = _CONDITION.match(where, position)
        if match is None:
            raise query_error("BAD_SYMBOL", f"Error in query: unexpected input {where[position : position + 30]!r}.")
        name = match.group("field")
        if name not in FIELDS:
            raise query_error("UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{name}'.")
        if name == "segments.date":
            if match.group("low") is not None:
                query.since, query.until = _day(match.group("low")), _day(match.group("high"))
            elif match.group("preset") is not None:
                query.preset = match.group("preset").upper()
                if query.preset not in _PRESETS:
                    raise query_error("BAD_VALUE", f"Unsupported DURING value: {query.preset}.")
            elif match.group("op") in (">=", ">"):
                day = _day(match.group("value"))
                query.since = day if match.group("op") == ">=" else day + timedelta(days=1)
            elif match.group("op") in ("<=", "<"):
                day = _day(match.group("value"))
                query.until = day if match.group("op") == "<=" else day - timedelta(days=1)
            elif match.group("op") == "=":
                query.since = query.until = _day(match.group("value"))
            else:
                raise query_error("BAD_OPERATOR", "Unsupported operator on segments.date in the sandbox.")
        elif name in FILTERABLE and (match.group("op") in ("=", "!=") or match.group("inop")):
            if match.group("inop"):
                values = [_unquote(v.strip()) for v in match.group("list").split(",") if v.strip()]
                op = "NOT IN" if match.group("inop").upper().startswith("NOT") else "IN"
            else:
                values, op = [_unquote(match.group("value"))], match.group("op")
            query.filters.append((name, op, values))  # type: ignore[union-attr]
        else:
            raise query_error("BAD_FIELD_NAME", f"Filtering on '{name}' is not emulated by the sandbox.")
        position = match.end()
        if position >= len(where):
            return
        conjunction = _AND.match(where, position)
        if conjunction is None:
            raise query_error("EXPECTED_AND", f"Expected AND in WHERE clause at {where[position : position + 30]!r}.")
        position = conjunction.end()


def _preset_range(preset: str, today: date) -> tuple[date, date]:
    if preset == "TODAY":
        return today, today
    if preset == "YESTERDAY":
        return today - timedelta(days=1), today - timedelta(days=1)
    if preset.startswith("LAST_") and preset.endswith("_DAYS"):
        days = int(preset[5:-5])
        return today - timedelta(days=days), today - timedelta(days=1)
    if preset == "THIS_MONTH":
        return today.replace(day=1), today
    last_month_end = today.replace(day=1) - timedelta(days=1)
    return last_month_end.replace(day=1), last_month_end  # LAST_MONTH


_PRESETS = ("TODAY", "YESTERDAY", "LAST_7_DAYS", "LAST_14_DAYS", "LAST_30_DAYS", "THIS_MONTH", "LAST_MONTH")


class GoogleAdsApi:
    """Mounted under ``/v`` by ``sandbox.ads.AdsVersionedRouter`` (paths ``/vNN/customers...``)."""

    def __init__(self, story: AdStory, token: str, quota: RollingWindow, batch_size: int = DEFAULT_BATCH_SIZE):
        self.story = story
        self.token = token
        self.quota = quota
        self.batch_size = batch_size

    # --- plumbing ---------------------------------------------------------------------------------------
    def error(self, err: GoogleAdsError, version: str, request_id: str, extra: dict | None = None) -> Response:
        failure: dict[str, object] = {"errorCode": {err.kind: err.code}, "message": err.detail}
        if extra:
            failure["details"] = extra
        details = [
            {
                "@type": f"type.googleapis.com/google.ads.googleads.{version}.errors.GoogleAdsFailure",
                "errors": [failure],
                "requestId": request_id,
            }
        ]
        body = {"error": {"code": err.http, "message": err.message, "status": err.status, "details": details}}
        return Response(err.http, body)

    def handle(self, request: Request, version: str, rest: str) -> Response:
        request_id = stable_id("google", self.story.seed, request.path, request.body)
        token = bearer(request)
        if token is None:
            message = f"Request is missing required authentication credential. {_AUTH_HINT}"
            return Response(401, {"error": {"code": 401, "message": message, "status": "UNAUTHENTICATED"}})
        if not same_secret(token, self.token):
            err = GoogleAdsError(
                401,
                "UNAUTHENTICATED",
                f"Request had invalid authentication credentials. {_AUTH_HINT}",
                "authenticationError",
                "OAUTH_TOKEN_INVALID",
                "Oauth token is invalid.",
            )
            return self.error(err, version, request_id)
        if not same_secret(request.header("developer-token"), self.token):
            err = GoogleAdsError(
                401,
                "UNAUTHENTICATED",
                "Request is missing required authentication credential.",
                "authenticationError",
                "DEVELOPER_TOKEN_INVALID",
                "The developer token is not valid.",
            )
            return self.error(err, version, request_id)
        if rest == "customers:listAccessibleCustomers" and request.method == "GET":
            return self._quota(version, request_id) or Response(
                200, {"resourceNames": [f"customers/{a.id}" for a in accounts(GOOGLE)]}
            )
        match = re.fullmatch(r"customers/([^/]+)/googleAds:(searchStream|search)", rest)
        if match is None or request.method != "POST":
            return not_found(request.path)
        customer_id = match.group(1)
        if not customer_id.isdigit():
            err = GoogleAdsError(
                400,
                "INVALID_ARGUMENT",
                "Request contains an invalid argument.",
                "requestError",
                "INVALID_CUSTOMER_ID",
                f"Invalid customer ID '{customer_id}'.",
            )
            return self.error(err, version, request_id)
        acct = next((a for a in accounts(GOOGLE) if a.id == customer_id), None)
        if acct is None:
            err = GoogleAdsError(
                403,
                "PERMISSION_DENIED",
                "The caller does not have permission",
                "authorizationError",
                "USER_PERMISSION_DENIED",
                "User doesn't have permission to access customer. Note: If you're accessing a client customer, "
                "the manager's customer id must be set in the 'login-customer-id' header.",
            )
            return self.error(err, version, request_id)
        refused = self._quota(version, request_id)
        if refused is not None:
            return refused
        try:
            body = json.loads(request.body or b"{}")
            text = body.get("query") if isinstance(body, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise GoogleAdsError(
                    400,
                    "INVALID_ARGUMENT",
                    "Request contains an invalid argument.",
                    "requestError",
                    "REQUIRED_FIELD_MISSING",
                    "Required field 'query' is missing.",
                )
            query = parse_query(text)
            rows = self.rows(acct, query)
        except json.JSONDecodeError:
            message = "Invalid JSON payload received."
            return Response(400, {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}})
        except GoogleAdsError as err:
            return self.error(err, version, request_id)
        field_mask = ",".join(".".join(_camel(p) for p in name.split(".")) for name in query.fields)
        if match.group(2) == "search":  # the paged variant: one page holding everything (no nextPageToken)
            return Response(200, {"results": rows, "fieldMask": field_mask, "requestId": request_id})
        batches = [
            {"results": rows[i : i + self.batch_size], "fieldMask": field_mask, "requestId": request_id}
            for i in range(0, len(rows), self.batch_size)
        ] or [{"fieldMask": field_mask, "requestId": request_id}]
        return Response(200, batches)

    def _quota(self, version: str, request_id: str) -> Response | None:
        decision = self.quota.acquire()
        if decision.allowed:
            return None
        err = GoogleAdsError(
            429,
            "RESOURCE_EXHAUSTED",
            "Resource has been exhausted (e.g. check quota).",
            "quotaError",
            "RESOURCE_TEMPORARILY_EXHAUSTED",
            f"Too many requests. Retry in {decision.retry_after_s} seconds.",
        )
        extra = {
            "quotaErrorDetails": {
                "rateScope": "DEVELOPER",
                "rateName": "Number of operations for basic access",
                "retryDelay": f"{decision.retry_after_s}s",
            }
        }
        return self.error(err, version, request_id, extra)

    # --- the query engine -------------------------------------------------------------------------------
    def entities(self, acct: Account, resource: str) -> list[Entity]:
        if resource == "customer":
            return [Entity(acct, None, None)]
        campaigns = self.story.campaigns(acct)
        if resource == "campaign":
            return [Entity(acct, c, None) for c in campaigns]
        return [Entity(acct, c, g) for c in campaigns for g in c.ad_groups]

    def _metrics(self, entity: Entity, day: date) -> DayMetrics:
        acct, story = entity.account, self.story
        if entity.group is not None:
            return story.group_day(acct, entity.campaign, entity.group, day)  # type: ignore[arg-type]
        if entity.campaign is not None:
            return story.campaign_day(acct, entity.campaign, day)
        total = ZERO
        for campaign in story.campaigns(acct):
            if campaign.runs_on(day):
                total = total + story.campaign_day(acct, campaign, day)
        return total

    def _days(self, entity: Entity, since: date, until: date) -> list[date]:
        campaigns = [entity.campaign] if entity.campaign is not None else list(self.story.campaigns(entity.account))
        days = {day for c in campaigns for day in self.story.days(entity.account, c, since, until)}
        return sorted(days)

    def _keep(self, entity: Entity, query: Query) -> bool:
        for name, op, values in query.filters or []:
            value = str(FIELDS[name].render(self.story, entity, ZERO, None))
            inside = value in values
            if (op in ("=", "IN") and not inside) or (op in ("!=", "NOT IN") and inside):
                return False
        return True

    def rows(self, acct: Account, query: Query) -> list[dict]:
        since, until = query.since, query.until
        if query.preset is not None:
            since, until = _preset_range(query.preset, self.story.local_today(acct))
        since = since or date.min
        until = until or date.max
        selected = {FIELDS[name].resource for name in query.fields}
        by_date = any(name.startswith("segments.") for name in query.fields)
        with_metrics = "metrics" in selected
        rows: list[tuple[list[object], dict]] = []
        for entity in self.entities(acct, query.resource):
            if not self._keep(entity, query):
                continue
            if not by_date and not with_metrics:
                rows.append(self._row(query, entity, ZERO, None))
                continue
            days = self._days(entity, since, until)
            if by_date:
                rows.extend(self._row(query, entity, self._metrics(entity, day), day) for day in days)
            elif days:
                total = ZERO
                for day in days:
                    total = total + self._metrics(entity, day)
                rows.append(self._row(query, entity, total, None))
        for name, descending in reversed(query.order or []):
            index = query.fields.index(name) if name in query.fields else None
            if index is not None:
                rows.sort(key=lambda row, i=index: _sort_key(row[0][i]), reverse=descending)
        result = [row for _, row in rows]
        return result[: query.limit] if query.limit is not None else result

    def _row(self, query: Query, entity: Entity, metrics: DayMetrics, day: date | None) -> tuple[list[object], dict]:
        row: dict[str, dict[str, object]] = {}
        values = []
        # The FROM resource always brings its resourceName, like the real API.
        resource_name = f"{query.resource}.resource_name"
        without_currency = self._drops_currency(query, entity, day)
        for name in [resource_name, *query.fields]:
            field = FIELDS[name]
            group, _, attribute = name.partition(".")
            part = row.setdefault(_camel(group), {})
            if without_currency and name == "customer.currency_code":
                values.append(None)  # proto3 JSON leaves an unset field out
            else:
                value = field.render(self.story, entity, metrics, day)
                if name != resource_name:
                    values.append(value)
                part[_camel(attribute)] = value
            if field.resource in ("campaign", "ad_group", "customer") and group != query.resource:
                row[_camel(group)].setdefault(
                    "resourceName", FIELDS[f"{group}.resource_name"].render(self.story, entity, metrics, day)
                )
        for part in row.values():  # resourceName first, as Google renders it
            if "resourceName" in part:
                value = part.pop("resourceName")
                items = list(part.items())
                part.clear()
                part.update({"resourceName": value, **dict(items)})
        return values, row

    def _drops_currency(self, query: Query, entity: Entity, day: date | None) -> bool:
        """The spend_without_currency fault, on daily rows that ask for the currency."""
        if day is None or "customer.currency_code" not in query.fields:
            return False
        entity_id = (entity.group or entity.campaign or entity.account).id
        return self.story.drops_currency(entity.account, entity_id, day)


def _sort_key(value: object) -> tuple:
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return (0, int(value), "")
    if isinstance(value, int | float):
        return (0, value, "")
    return (1, 0, str(value))


def not_found(path: str) -> Response:
    message = f"The requested URL {path} was not found on this server."
    return Response(404, {"error": {"code": 404, "message": message, "status": "NOT_FOUND"}})
