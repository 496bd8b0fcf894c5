"""LinkedIn Marketing API emulation (``/rest/``): ad account, campaign group and campaign search, and the
``adAnalytics`` finder ``q=analytics``.

Reproduced on purpose: ``Authorization: Bearer`` (401 ``INVALID_ACCESS_TOKEN`` / ``EMPTY_ACCESS_TOKEN``), the
``LinkedIn-Version: YYYYMM`` header (426 without it) and Rest.li 2.0 syntax (``X-Restli-Protocol-Version:
2.0.0``; ``List(...)`` and ``(start:(year:..,month:..,day:..),end:(...))`` values); only the requested
``fields`` come back (without ``fields``: impressions and clicks only); at most 20 fields; days in UTC;
**no paging**: an answer over ``max_elements`` (15,000 by default) is cut silently. The search finders
(``q=search`` on adAccounts, adCampaignGroups, adCampaigns) page by cursor, as LinkedIn's do since version
202401: ``pageSize`` (default 100, at most 1,000) and ``pageToken``, the ``metadata.nextPageToken`` of the
previous page, absent on the last one.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sandbox.ads.common import bearer, money, same_secret
from sandbox.ads.story import LINKEDIN, Account, AdStory, DayMetrics, account, accounts
from sandbox.ads.truth import FX_TO_USD
from sandbox.server import Request, Response

DEFAULT_MAX_ELEMENTS = 15_000
SEARCH_PAGE_SIZE, SEARCH_MAX_PAGE_SIZE = 100, 1_000
MAX_FIELDS = 20
ANALYTICS_FIELDS = (
    "dateRange", "pivotValues", "impressions", "clicks", "landingPageClicks", "costInLocalCurrency", "costInUsd",
    "externalWebsiteConversions", "oneClickLeads",
)  # fmt: skip
PIVOTS = {"CAMPAIGN": "urn:li:sponsoredCampaign", "CAMPAIGN_GROUP": "urn:li:sponsoredCampaignGroup", "ACCOUNT": ""}
_DATE = r"\(year:(\d{4}),month:(\d{1,2}),day:(\d{1,2})\)"
_RANGE = re.compile(rf"^\(start:{_DATE}(?:,end:{_DATE})?\)$")
_LIST = re.compile(r"^List\((.*)\)$")


def _search_page(request: Request, elements: list[dict[str, object]]) -> dict[str, object]:
    """One page of a search finder's answer: `pageSize` elements from where `pageToken` points."""
    size_text = request.param("pageSize") or str(SEARCH_PAGE_SIZE)
    if not size_text.isdigit() or not 1 <= int(size_text) <= SEARCH_MAX_PAGE_SIZE:
        raise _bad(f"Invalid value for param 'pageSize': {size_text!r} (1 to {SEARCH_MAX_PAGE_SIZE})")
    size, offset = int(size_text), 0
    token = request.param("pageToken")
    if token is not None:
        try:
            offset = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("offset:"))
        except ValueError:
            raise _bad(f"Invalid value for param 'pageToken': {token!r}") from None
    page: dict[str, object] = {"elements": elements[offset : offset + size], "metadata": {}}
    if offset + size < len(elements):
        page["metadata"] = {"nextPageToken": base64.urlsafe_b64encode(f"offset:{offset + size}".encode()).decode()}
    return page


class LinkedInError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _bad(message: str) -> LinkedInError:
    return LinkedInError(400, "ILLEGAL_ARGUMENT", message)


def _urns(raw: str | None, kind: str) -> list[str]:
    match = _LIST.match(raw or "")
    if match is None:
        raise _bad(f"Invalid value for param '{kind}': expected List(urn:li:...) in Rest.li 2.0 syntax")
    return [item.strip() for item in match.group(1).split(",") if item.strip()]


def _ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def _date(day: date) -> dict[str, int]:
    return {"year": day.year, "month": day.month, "day": day.day}


class LinkedInApi:
    prefix = "/rest/"

    def __init__(self, story: AdStory, token: str, max_elements: int = DEFAULT_MAX_ELEMENTS) -> None:
        self.story = story
        self.token = token
        self.max_elements = max_elements

    def handle(self, request: Request) -> Response:
        token = bearer(request)
        if token is None:
            body = {
                "status": 401,
                "serviceErrorCode": 65604,
                "code": "EMPTY_ACCESS_TOKEN",
                "message": "Empty oauth2 access token",
            }
            return Response(401, body)
        if not same_secret(token, self.token):
            body = {
                "status": 401,
                "serviceErrorCode": 65600,
                "code": "INVALID_ACCESS_TOKEN",
                "message": "Invalid access token",
            }
            return Response(401, body)
        version = request.header("linkedin-version")
        if not version:
            message = "A version must be present. Please specify a version by adding the LinkedIn-Version header."
            return Response(426, {"status": 426, "code": "VERSION_MISSING", "message": message})
        if not re.fullmatch(r"20(2[4-9])(0[1-9]|1[0-2])(\.\d{2})?", version):
            message = f"Requested version {version} is not active"
            return Response(426, {"status": 426, "code": "NONEXISTENT_VERSION", "message": message})
        try:
            return Response(200, self._route(request))
        except LinkedInError as err:
            return Response(err.status, {"status": err.status, "code": err.code, "message": err.message})

    def _route(self, request: Request) -> object:
        if request.method != "GET":
            raise LinkedInError(405, "METHOD_NOT_ALLOWED", f"{request.method} is not supported by this resource")
        parts = [part for part in request.path[len(self.prefix) :].split("/") if part]
        if parts == ["adAnalytics"]:
            self._need_restli2(request)
            if request.param("q") != "analytics":
                raise _bad("Unsupported finder: the sandbox emulates adAnalytics?q=analytics")
            return {"paging": {"start": 0, "count": 10, "links": []}, "elements": self.analytics(request)}
        if parts and parts[0] == "adAccounts":
            if len(parts) == 1:
                self._finder(request)
                return _search_page(request, [self._account_element(a) for a in accounts(LINKEDIN)])
            acct = account(LINKEDIN, parts[1])
            if acct is None:
                raise LinkedInError(404, "NOT_FOUND", f"Ad account {parts[1]} does not exist")
            if len(parts) == 2:
                return self._account_element(acct)
            if len(parts) == 3 and parts[2] in ("adCampaignGroups", "adCampaigns"):
                self._finder(request)
                return _search_page(
                    request, self._groups(acct) if parts[2] == "adCampaignGroups" else self._campaigns(acct)
                )
        raise LinkedInError(404, "NOT_FOUND", "No virtual resource found")

    def _need_restli2(self, request: Request) -> None:
        if request.header("x-restli-protocol-version") != "2.0.0":
            raise _bad("Invalid query parameters passed to request: send X-Restli-Protocol-Version: 2.0.0")

    def _finder(self, request: Request) -> None:
        if request.param("q") != "search":
            raise _bad("Unsupported finder: use q=search")

    def _account_element(self, acct: Account) -> dict[str, object]:
        return {
            "id": int(acct.id),
            "name": acct.name,
            "currency": acct.currency,
            "status": "ACTIVE",
            "type": "BUSINESS",
            "reference": "urn:li:organization:70000001",
            "test": False,
            "servingStatuses": ["RUNNABLE"],
        }

    def _schedule(self, start: date, end: date | None) -> dict[str, int]:
        schedule = {"start": _ms(start)}
        if end is not None:
            schedule["end"] = _ms(end + timedelta(days=1))
        return schedule

    def _groups(self, acct: Account) -> list[dict[str, object]]:
        return [
            {
                "id": int(c.id),
                "name": c.name,
                "account": f"urn:li:sponsoredAccount:{acct.id}",
                "status": "ACTIVE" if self.story.status(c, acct) == "ENABLED" else "COMPLETED",
                "runSchedule": self._schedule(c.start, c.end),
            }
            for c in self.story.campaigns(acct)
        ]

    def _campaigns(self, acct: Account) -> list[dict[str, object]]:
        return [
            {
                "id": int(g.id),
                "name": g.name,
                "account": f"urn:li:sponsoredAccount:{acct.id}",
                "campaignGroup": f"urn:li:sponsoredCampaignGroup:{c.id}",
                "status": "ACTIVE" if self.story.status(c, acct) == "ENABLED" else "COMPLETED",
                "type": "SPONSORED_UPDATES",
                "costType": "CPC",
                "dailyBudget": {"amount": money(round(c.daily_budget_minor * g.share)), "currencyCode": acct.currency},
                "runSchedule": self._schedule(c.start, c.end),
            }
            for c in self.story.campaigns(acct)
            for g in c.ad_groups
        ]

    # --- adAnalytics --------------------------------------------------------------------------------------
    def analytics(self, request: Request) -> list[dict[str, object]]:
        pivot = request.param("pivot") or ""
        if pivot not in PIVOTS:
            raise _bad(f"Invalid value for param 'pivot': {pivot!r} (the sandbox emulates {', '.join(PIVOTS)})")
        granularity = request.param("timeGranularity") or ""
        if granularity not in ("DAILY", "ALL"):
            raise _bad(f"Invalid value for param 'timeGranularity': {granularity!r} (the sandbox emulates DAILY, ALL)")
        match = _RANGE.match(request.param("dateRange") or "")
        if match is None:
            raise _bad("Invalid value for param 'dateRange': expected (start:(year:Y,month:M,day:D),end:(...))")
        try:
            since = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            until = date(int(match.group(4)), int(match.group(5)), int(match.group(6))) if match.group(4) else None
        except ValueError:
            raise _bad("Invalid value for param 'dateRange': not a calendar date") from None
        until = until or date.max
        fields = [f for f in (request.param("fields") or "impressions,clicks").split(",") if f]
        if len(fields) > MAX_FIELDS:
            raise _bad(f"Too many fields requested: at most {MAX_FIELDS}")
        for name in fields:
            if name not in ANALYTICS_FIELDS:
                raise _bad(f"Invalid field requested in 'fields': {name}")
        selected = self._selection(request)
        rows: list[tuple[date, int, str, date, DayMetrics]] = []
        for acct in accounts(LINKEDIN):
            for campaign in self.story.campaigns(acct):
                for group in campaign.ad_groups:
                    if not selected(acct, campaign.id, group.id):
                        continue
                    for day in self.story.days(acct, campaign, since, until):
                        metrics = self.story.group_day(acct, campaign, group, day)
                        key = {"CAMPAIGN": group.id, "CAMPAIGN_GROUP": campaign.id, "ACCOUNT": acct.id}[pivot]
                        rows.append((day if granularity == "DAILY" else since, int(key), acct.currency, day, metrics))
        merged: dict[tuple[date, int], tuple[str, date, date, DayMetrics]] = {}
        for start, key, currency, day, metrics in rows:
            old = merged.get((start, key))
            if old is None:
                merged[(start, key)] = (currency, day, day, metrics)
            else:
                merged[(start, key)] = (currency, min(old[1], day), max(old[2], day), old[3] + metrics)
        elements = []
        for (start, key), (currency, first, last, metrics) in sorted(merged.items()):
            if granularity == "DAILY":
                first = last = start
            urn = f"{PIVOTS[pivot]}:{key}" if PIVOTS[pivot] else f"urn:li:sponsoredAccount:{key}"
            values: dict[str, object] = {
                "dateRange": {"start": _date(first), "end": _date(last)},
                "pivotValues": [urn],
                "impressions": metrics.impressions,
                "clicks": metrics.clicks,
                "landingPageClicks": metrics.clicks,
                "costInLocalCurrency": money(metrics.spend_minor),
                "costInUsd": str(Decimal(metrics.spend_minor).scaleb(-2) * FX_TO_USD[currency]),
                "externalWebsiteConversions": int(metrics.conversions),
                "oneClickLeads": 0,
            }
            elements.append({name: values[name] for name in fields})
        return elements[: self.max_elements]  # silently cut, as LinkedIn does

    def _selection(self, request: Request):
        accounts_raw, campaigns_raw, groups_raw = (
            request.param(n) for n in ("accounts", "campaigns", "campaignGroups")
        )
        if not (accounts_raw or campaigns_raw or groups_raw):
            raise _bad("At least one facet is required: accounts, campaigns or campaignGroups")
        wanted_accounts = {u.rsplit(":", 1)[-1] for u in _urns(accounts_raw, "accounts")} if accounts_raw else None
        wanted_campaigns = {u.rsplit(":", 1)[-1] for u in _urns(campaigns_raw, "campaigns")} if campaigns_raw else None
        wanted_groups = {u.rsplit(":", 1)[-1] for u in _urns(groups_raw, "campaignGroups")} if groups_raw else None

        def selected(acct: Account, campaign_group_id: str, linkedin_campaign_id: str) -> bool:
            return (
                (wanted_accounts is None or acct.id in wanted_accounts)
                and (wanted_groups is None or campaign_group_id in wanted_groups)
                and (wanted_campaigns is None or linkedin_campaign_id in wanted_campaigns)
            )

        return selected
