"""Meta Marketing API emulation (Graph API ``/vNN.0/``): ad account discovery, sync insights with cursor
paging, and the async report-run flow.

Reproduced on purpose: ``access_token`` parameter or ``Authorization: Bearer``; every number a string;
``actions`` as a list of ``{"action_type","value"}``; ``paging.cursors.before/after`` and a full ``next`` URL
that is absent on the last page; rows without delivery left out; days in the ad account's time zone;
throttling headers on every answer and error code 17 over the configured budget; Graph's error body
``{"error":{"message","type","code","error_subcode"?,"fbtrace_id"}}`` -- with HTTP **400** also for a bad or
missing token (codes 190 / 104) and for unknown objects or edges (code 100, subcode 33), as Graph answers.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

from sandbox.ads.common import Counter, bearer, decode_cursor, encode_cursor, money, parse_day, same_secret, stable_id
from sandbox.ads.story import META, ZERO, Account, AdStory, DayMetrics, account, accounts
from sandbox.ratelimit import Decision, RollingWindow
from sandbox.server import Request, Response

BUDGET_WINDOW_S = 3600.0
DEFAULT_LIMIT = 25
MAX_LIMIT = 5000
BUSINESS_ID = "987650000000001"
# Polls of GET /{report_run_id} -> (async_status, async_percent_completion); later polls stay completed.
ASYNC_PROGRESS = (("Job Not Started", 0), ("Job Started", 0), ("Job Running", 45), ("Job Completed", 100))
LEVELS = ("account", "campaign", "adset")
INSIGHT_FIELDS = (
    "account_id", "account_name", "account_currency", "campaign_id", "campaign_name", "adset_id", "adset_name",
    "objective", "spend", "impressions", "clicks", "cpc", "ctr", "cpm", "actions",
)  # fmt: skip
ACCOUNT_FIELDS = ("id", "account_id", "name", "currency", "timezone_name", "account_status", "business_name")
DATE_PRESETS = ("today", "yesterday", "last_3d", "last_7d", "last_14d", "last_28d", "last_30d", "last_90d", "maximum")


class GraphError(Exception):
    def __init__(self, message: str, code: int, subcode: int | None = None, http: int = 400) -> None:
        super().__init__(message)
        self.message, self.code, self.subcode, self.http = message, code, subcode, http


@dataclass
class ReportRun:
    id: str
    account: Account
    params: dict[str, str]
    polls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _decimal_text(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


class MetaApi:
    def __init__(self, story: AdStory, token: str, budget: RollingWindow) -> None:
        self.story = story
        self.token = token
        self.budget = budget
        self.runs: dict[str, ReportRun] = {}
        self.run_ids = Counter()
        self.traces = Counter()

    # --- plumbing ---------------------------------------------------------------------------------------
    def _error(self, err: GraphError, headers: dict[str, str] | None = None) -> Response:
        body: dict[str, object] = {"message": err.message, "type": "OAuthException", "code": err.code}
        if err.subcode is not None:
            body["error_subcode"] = err.subcode
        body["fbtrace_id"] = stable_id("fbtrace", self.story.seed, self.traces.next(), length=11)
        return Response(err.http, {"error": body}, headers or {})

    def _usage_headers(self, decision: Decision, acct_id: str | None) -> dict[str, str]:
        used = 100.0 if not decision.allowed else round((decision.limit - decision.remaining) * 100 / decision.limit, 2)
        pct = int(used) if used == int(used) else used
        business = {
            BUSINESS_ID: [
                {
                    "type": "ads_insights",
                    "call_count": pct,
                    "total_cputime": pct,
                    "total_time": pct,
                    "estimated_time_to_regain_access": 0 if decision.allowed else max(1, decision.retry_after_s // 60),
                    "ads_api_access_tier": "standard_access",
                }
            ]
        }
        headers = {
            "X-Business-Use-Case-Usage": json.dumps(business, separators=(",", ":")),
            "X-FB-Ads-Insights-Throttle": json.dumps(
                {"app_id_util_pct": pct, "acc_id_util_pct": pct, "ads_api_access_tier": "standard_access"},
                separators=(",", ":"),
            ),
        }
        if acct_id is not None:
            headers["X-Ad-Account-Usage"] = json.dumps(
                {"acc_id_util_pct": pct, "reset_time_duration": 0 if decision.allowed else decision.retry_after_s,
                 "ads_api_access_tier": "standard_access"},
                separators=(",", ":"),
            )  # fmt: skip
        return headers

    def _params(self, request: Request) -> dict[str, str]:
        params = dict(request.query)
        if request.method == "POST" and request.body:
            content_type = request.header("content-type") or ""
            if "json" in content_type:
                try:
                    body = json.loads(request.body)
                except json.JSONDecodeError:
                    body = {}
                if isinstance(body, dict):
                    params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
            else:
                params.update(dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)))
        return params

    def handle(self, request: Request, version: str, rest: str) -> Response:
        params = self._params(request)
        token = params.get("access_token") or bearer(request)
        if token is None:
            return self._error(GraphError("An access token is required to request this resource.", 104))
        if not same_secret(token, self.token):
            err = GraphError("Invalid OAuth access token - Cannot parse access token", 190)
            return self._error(
                err, {"WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token"'}
            )
        parts = [part for part in rest.split("/") if part]
        acct_id = parts[0][4:] if parts and parts[0].startswith("act_") else None
        decision = self.budget.acquire()
        headers = self._usage_headers(decision, acct_id)
        if not decision.allowed:
            err = GraphError("(#17) User request limit reached", 17, 2446079)
            return self._error(err, headers)
        try:
            body = self._route(request, version, parts, params)
        except GraphError as err:
            return self._error(err, headers)
        return Response(200, body, headers)

    def _route(self, request: Request, version: str, parts: list[str], params: dict[str, str]) -> object:
        method = request.method
        if not parts:
            raise GraphError("(#100) Missing node id in the request path", 100)
        node = parts[0]
        if node == "me" and parts[1:] == ["adaccounts"] and method == "GET":
            fields = self._fields(params, ACCOUNT_FIELDS, ("id", "account_id"), "AdAccount")
            rows = [self._account_node(a, fields) for a in accounts(META)]
            return self._page(request, version, params, rows)
        if node.startswith("act_"):
            acct = account(META, node[4:])
            if acct is None:
                raise self._unknown_object(node, method)
            if len(parts) == 1 and method == "GET":
                return self._account_node(acct, self._fields(params, ACCOUNT_FIELDS, ("id", "account_id"), "AdAccount"))
            if parts[1:] == ["insights"] and method == "GET":
                rows = self.insights(acct, params)
                return self._page(request, version, params, rows)
            if parts[1:] == ["insights"] and method == "POST":
                self.insights(acct, params)  # validate now, like Graph does
                run_id = str(1_200_000_000_000_000 + 1000 * self.story.seed % 1_000_000 + self.run_ids.next())
                self.runs[run_id] = ReportRun(run_id, acct, {k: v for k, v in params.items() if k != "access_token"})
                return {"report_run_id": run_id}
            if len(parts) == 2 and method == "GET":
                raise GraphError(f"(#100) Tried accessing nonexisting field ({parts[1]}) on node type (AdAccount)", 100)
            raise self._unknown_object(node, method)
        run = self.runs.get(node)
        if run is None:
            raise self._unknown_object(node, method)
        if len(parts) == 1 and method == "GET":
            return self._poll(run)
        if parts[1:] == ["insights"] and method == "GET":
            if run.polls < len(ASYNC_PROGRESS):
                raise GraphError("(#100) The report run is not completed yet: poll it until Job Completed", 100)
            rows = self.insights(run.account, run.params)
            return self._page(request, version, params, rows)
        if len(parts) == 2 and method == "GET":
            raise GraphError(f"(#100) Tried accessing nonexisting field ({parts[1]}) on node type (AdReportRun)", 100)
        raise self._unknown_object(node, method)

    def _unknown_object(self, node: str, method: str) -> GraphError:
        return GraphError(
            f"Unsupported {method.lower()} request. Object with ID '{node}' does not exist, cannot be loaded due to "
            "missing permissions, or does not support this operation. Please read the Graph API documentation at "
            "https://developers.facebook.com/docs/graph-api",
            100,
            33,
        )

    def _poll(self, run: ReportRun) -> dict[str, object]:
        with run.lock:
            run.polls += 1
            status, percent = ASYNC_PROGRESS[min(run.polls, len(ASYNC_PROGRESS)) - 1]
        since, until = self._range(run.account, run.params)
        time_ref = int(self.story.now.timestamp())
        body: dict[str, object] = {
            "id": run.id,
            "account_id": run.account.id,
            "time_ref": time_ref,
            "async_status": status,
            "async_percent_completion": percent,
            "date_start": since.isoformat(),
            "date_stop": until.isoformat(),
            "is_running": status != "Job Completed",
        }
        if status == "Job Completed":
            body["time_completed"] = time_ref + 3
        return body

    def _fields(self, params: dict[str, str], known: tuple[str, ...], default: tuple[str, ...], node: str) -> list[str]:
        raw = params.get("fields")
        if not raw:
            return list(default)
        fields = [name.strip() for name in raw.split(",") if name.strip()]
        for name in fields:
            if name not in known:
                raise GraphError(f"(#100) Tried accessing nonexisting field ({name}) on node type ({node})", 100)
        return fields

    def _account_node(self, acct: Account, fields: list[str]) -> dict[str, object]:
        values = {
            "id": f"act_{acct.id}",
            "account_id": acct.id,
            "name": acct.name,
            "currency": acct.currency,
            "timezone_name": acct.time_zone,
            "account_status": 1,
            "business_name": "Acme Analytics",
        }
        node = {name: values[name] for name in fields}
        node.setdefault("id", values["id"])
        return node

    def _page(self, request: Request, version: str, params: dict[str, str], rows: list[dict]) -> dict[str, object]:
        try:
            limit = int(params.get("limit") or DEFAULT_LIMIT)
        except ValueError:
            raise GraphError("(#100) Param limit must be a number", 100) from None
        limit = max(1, min(limit, MAX_LIMIT))
        start = 0
        if params.get("after"):
            try:
                start = decode_cursor(params["after"])
            except ValueError:
                raise GraphError("(#100) Invalid cursor after", 100) from None
        page = rows[start : start + limit]
        body: dict[str, object] = {"data": page}
        if not page:
            return body
        end = start + len(page)
        paging: dict[str, object] = {"cursors": {"before": encode_cursor(start), "after": encode_cursor(end)}}
        host = request.header("host") or "127.0.0.1"
        base = f"http://{host}{request.path}"
        query = {k: v for k, v in request.query if k not in ("after", "before")}
        if request.method == "POST":
            query = {k: v for k, v in params.items() if k not in ("after", "before")}
        if end < len(rows):
            paging["next"] = f"{base}?{urlencode({**query, 'after': encode_cursor(end)})}"
        if start > 0:
            paging["previous"] = f"{base}?{urlencode({**query, 'before': encode_cursor(start)})}"
        body["paging"] = paging
        return body

    # --- insights ---------------------------------------------------------------------------------------
    def _range(self, acct: Account, params: dict[str, str]) -> tuple[date, date]:
        today = self.story.local_today(acct)
        if params.get("time_range"):
            try:
                spec = json.loads(params["time_range"])
                since, until = parse_day(spec["since"]), parse_day(spec["until"])
            except (ValueError, KeyError, TypeError):
                raise GraphError(
                    "(#100) time_range must be a JSON object with since and until dates as YYYY-MM-DD", 100
                ) from None
            if since > until:
                raise GraphError("(#100) time_range: since must not be after until", 100)
            return since, until
        preset = params.get("date_preset") or "last_30d"
        if preset not in DATE_PRESETS:
            raise GraphError(f"(#100) date_preset must be one of the following values: {', '.join(DATE_PRESETS)}", 100)
        if preset == "today":
            return today, today
        if preset == "yesterday":
            return today - timedelta(days=1), today - timedelta(days=1)
        if preset == "maximum":
            return today - timedelta(days=37 * 31), today
        days = int(preset[5:-1])
        return today - timedelta(days=days), today - timedelta(days=1)

    def insights(self, acct: Account, params: dict[str, str]) -> list[dict]:
        level = params.get("level") or "account"
        if level not in LEVELS:
            raise GraphError(
                f"(#100) level must be one of the following values: {', '.join(LEVELS)} (ad is not emulated)", 100
            )
        fields = self._fields(params, INSIGHT_FIELDS, ("spend", "impressions"), "AdsInsights")
        for unsupported in ("breakdowns", "action_breakdowns"):
            if params.get(unsupported):
                raise GraphError(f"(#100) {unsupported} are not emulated by the sandbox", 100)
        since, until = self._range(acct, params)
        increment = params.get("time_increment") or "all_days"
        if increment == "all_days":
            step = None
        elif re.fullmatch(r"\d+", increment) and 1 <= int(increment) <= 90:
            step = int(increment)
        else:
            raise GraphError("(#100) time_increment must be all_days or an integer between 1 and 90", 100)
        rows = []
        for campaign in self.story.campaigns(acct):
            groups = campaign.ad_groups if level == "adset" else (None,)
            for group in groups:
                buckets: dict[date, DayMetrics] = {}
                for day in self.story.days(acct, campaign, since, until):
                    bucket = since if step is None else since + timedelta(days=(day - since).days // step * step)
                    if group is None:
                        metrics = self.story.campaign_day(acct, campaign, day)
                    else:
                        metrics = self.story.group_day(acct, campaign, group, day)
                    buckets[bucket] = buckets.get(bucket, ZERO) + metrics
                for bucket, metrics in buckets.items():
                    stop = until if step is None else min(until, bucket + timedelta(days=step - 1))
                    rows.append((bucket, campaign, group, stop, metrics))
        if level == "account":
            merged: dict[date, tuple] = {}
            for bucket, _campaign, _group, stop, metrics in rows:
                previous = merged.get(bucket)
                merged[bucket] = (bucket, None, None, stop, metrics if previous is None else previous[4] + metrics)
            rows = list(merged.values())
        rows.sort(key=lambda row: (row[0], int(row[1].id) if row[1] else 0, int(row[2].id) if row[2] else 0))
        return [self._insight_row(acct, fields, level, *row) for row in rows]

    def _insight_row(self, acct, fields, level, start, campaign, group, stop, metrics: DayMetrics) -> dict[str, object]:
        spend = Decimal(metrics.spend_minor).scaleb(-2)
        values: dict[str, object] = {
            "account_id": acct.id,
            "account_name": acct.name,
            "account_currency": acct.currency,
            "spend": money(metrics.spend_minor),
            "impressions": str(metrics.impressions),
            "clicks": str(metrics.clicks),
        }
        if campaign is not None:
            values.update(campaign_id=campaign.id, campaign_name=campaign.name, objective=campaign.objective)
        if group is not None:
            values.update(adset_id=group.id, adset_name=group.name)
        if metrics.clicks:
            values["cpc"] = _decimal_text(float(spend) / metrics.clicks)
        if metrics.impressions:
            values["ctr"] = _decimal_text(metrics.clicks * 100 / metrics.impressions)
            values["cpm"] = _decimal_text(float(spend) * 1000 / metrics.impressions)
        actions = [{"action_type": "link_click", "value": str(metrics.clicks)}] if metrics.clicks else []
        if metrics.conversions:
            actions.append({"action_type": "lead", "value": str(int(metrics.conversions))})
        if actions:
            values["actions"] = actions
        entity_id = (group or campaign or acct).id
        if start == stop and self.story.drops_currency(acct, entity_id, start):
            del values["account_currency"]  # the spend_without_currency fault: Graph leaves empty fields out
        row = {name: values[name] for name in fields if name in values}
        row["date_start"] = start.isoformat()
        row["date_stop"] = stop.isoformat()
        return row
