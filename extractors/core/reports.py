"""Reporting APIs (the ad platforms): daily metric rows per account, read by date range, not by record cursor.

A `ReportStream` is declared like any stream (name, key, day field) plus a *reader*, one of the paging and
slicing strategies below; a run then goes account by account:

- accounts come from the source's own discovery (`ReportClient.discover`), cached for the run;
- each account reads `[start, today]`: `start` is the account's last loaded day minus the stream's trailing
  window (conversions are restated for days after the click, so recent days are read again every run), the
  configured history start on a first read or `--full-refresh`, or `--since`;
- every page lands through the core `RawLoader` (COPY, one transaction a page, rejects); the account's last
  loaded day (`raw._report_state`) moves once its whole read is in, so a crash re-reads that account (raw
  is append-only and staging keeps the newest batch per record id: nothing doubles).

Readers (paging strategies of reporting APIs):

- `SearchStreamReader`: Google Ads `googleAds:searchStream`, one POST per date chunk, a JSON array of
  batches; each batch is a page.
- `NextLinkPaginator`: Graph-style `{"data": [...], "paging": {"next": "<full url>"}}` (Meta).
- `InsightsReader`: Meta insights: short ranges synchronously (next links), longer ones as async report
  runs (POST, poll `async_status` until `Job Completed`, then page the run's insights).
- `SlicedRangeReader`: LinkedIn `adAnalytics`, no paging and silently cut at a maximum number of elements:
  an answer that reaches the maximum is thrown away and its date range split in half until each fits.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg

from extractors.core import state
from extractors.core.http import ExtractError, HttpClient
from extractors.core.load import RawLoader
from extractors.core.pagination import Page, Record, results_of
from extractors.core.streams import Stream
from extractors.runner import OnPage, RunOptions, StreamReport
from warehouse import config

log = logging.getLogger(__name__)

REPORT_STATE_DDL = """
create schema if not exists raw;
create table if not exists raw._report_state (
    source text not null,
    stream text not null,
    account_id text not null,
    last_day date not null,
    endpoint text not null,
    last_batch_id bigint,
    updated_at timestamptz not null default clock_timestamp(),
    primary key (source, stream, account_id)
);
"""

Day = datetime.date


def utc_today() -> Day:
    return datetime.datetime.now(datetime.UTC).date()


def date_chunks(since: Day, until: Day, days: int) -> Iterator[tuple[Day, Day]]:
    """`[since, until]` cut into consecutive inclusive ranges of at most `days` days, oldest first."""
    start = since
    while start <= until:
        end = min(until, start + datetime.timedelta(days=days - 1))
        yield start, end
        start = end + datetime.timedelta(days=1)


# --- settings -----------------------------------------------------------------------------------------------


def int_option(name: str, default: int, minimum: int = 1) -> int:
    text = config.option(name, str(default))
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise config.ConfigError(f"{name} must be a whole number of at least {minimum}, got {text!r}")
    return value


def seconds_option(name: str, default: float) -> float:
    text = config.option(name, str(default))
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise config.ConfigError(f"{name} must be a number of seconds such as {default}, got {text!r}")
    return value


def date_option(name: str) -> Day | None:
    text = config.option(name, "")
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise config.ConfigError(f"{name} must be a date such as 2024-01-01, got {text!r}") from None


# --- accounts and the client --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """One ad account as its platform describes it; `record` is what lands in `raw.<source>__accounts`."""

    id: str
    currency: str | None
    time_zone: str | None
    record: Record
    reports: bool = True  # False for accounts without metrics of their own (Google manager accounts)


@dataclass
class ReportClient(HttpClient):
    """An `HttpClient` that also knows the API version, its accounts and the run's reporting knobs."""

    api_version: str = ""
    discover: Callable[[ReportClient], list[Account]] | None = None
    trailing_days: int | None = None  # overrides every stream's declared trailing window
    start_date: Day | None = None  # first day of a full read (default: `history_days` before today)
    history_days: int = 730
    async_after_days: int = 31  # Meta: ranges longer than this go through async report runs
    days_per_request: int = 90  # one searchStream request / one async report run covers at most this
    max_elements: int = 15_000  # LinkedIn: answers are cut silently at this many elements
    poll_attempts: int = 60
    poll_first_wait: float = 0.5  # seconds before the second poll; each wait is 1.5 times the one before
    poll_max_wait: float = 30.0
    today: Callable[[], Day] = utc_today
    _accounts: list[Account] | None = field(default=None, repr=False)

    def accounts(self) -> list[Account]:
        if self._accounts is None:
            if self.discover is None:
                raise ExtractError(f"{self.source}: no account discovery configured")
            self._accounts = self.discover(self)
            log.info("%s: %d accounts: %s", self.source, len(self._accounts), ", ".join(a.id for a in self._accounts))
        return self._accounts

    def first_day(self) -> Day:
        return self.start_date or self.today() - datetime.timedelta(days=self.history_days)


# --- readers ------------------------------------------------------------------------------------------------


class Reader(Protocol):
    def pages(self, client: ReportClient, account: Account, since: Day, until: Day) -> Iterator[Page]: ...


def with_account(records: list[Record], account: Account) -> list[Record]:
    """The API rows as served, plus the account id (not every platform repeats it in each row)."""
    return [{**record, "account_id": account.id} if isinstance(record, dict) else record for record in records]


@dataclass(frozen=True)
class SearchStreamReader:
    """Google Ads `searchStream`: `query` (with `{since}`/`{until}`) per date chunk; each batch is a page."""

    query: str
    path: str = "/{version}/customers/{account}/googleAds:searchStream"

    def pages(self, client: ReportClient, account: Account, since: Day, until: Day) -> Iterator[Page]:
        path = self.path.format(version=client.api_version, account=account.id)
        number = 0
        for start, end in date_chunks(since, until, client.days_per_request):
            body = client.post_json(path, {"query": self.query.format(since=start.isoformat(), until=end.isoformat())})
            if not isinstance(body, list):
                raise ExtractError(
                    f"{client.source}: {client.url(path)} answered {str(body)[:200]} instead of an array of batches"
                )
            for batch in body:
                number += 1
                # A batch without `results` is how searchStream says "nothing matched".
                records = batch.get("results", []) if isinstance(batch, dict) else None
                if not isinstance(records, list):
                    raise ExtractError(f"{client.source}: batch {number} of {client.url(path)} has no 'results' list")
                yield Page(number, with_account(records, account), client.url(path))


@dataclass(frozen=True)
class NextLinkPaginator:
    """Graph-style paging: `data`, then `paging.next` (a full URL, absent on the last page) until there is none."""

    data_key: str = "data"

    def pages(self, client: HttpClient, path: str, params: Mapping[str, Any] | None) -> Iterator[Page]:
        number, url, query = 0, path, params
        while True:
            number += 1
            body = client.get_json(url, query)
            yield Page(number, results_of(body, self.data_key, client, url, number), client.url(url).split("?")[0])
            url = ((body.get("paging") or {}) if isinstance(body, dict) else {}).get("next")
            if not url:
                return
            query = None  # the link carries every parameter (and the after cursor)


# Meta's async report runs: the states that are still working, and those that failed for good.
_RUNNING = ("Job Not Started", "Job Started", "Job Running")
_FAILED = ("Job Failed", "Job Skipped")


@dataclass(frozen=True)
class InsightsReader:
    """Meta `act_{id}/insights` with `time_increment=1`: sync for short ranges, async report runs for long ones."""

    params: Mapping[str, str]
    page_size: int = 500
    paginator: NextLinkPaginator = NextLinkPaginator()

    def pages(self, client: ReportClient, account: Account, since: Day, until: Day) -> Iterator[Page]:
        path = f"/{client.api_version}/act_{account.id}/insights"
        for start, end in date_chunks(since, until, client.days_per_request):
            params = {
                **self.params,
                "time_range": json.dumps({"since": start.isoformat(), "until": end.isoformat()}, separators=(",", ":")),
                "time_increment": "1",
                "limit": str(self.page_size),
            }
            if (end - start).days + 1 <= client.async_after_days:
                pages = self.paginator.pages(client, path, params)
            else:
                pages = self._async(client, account, path, params)
            for page in pages:
                yield Page(page.number, with_account(page.records, account), page.url)

    def _async(self, client: ReportClient, account: Account, path: str, params: Mapping[str, str]) -> Iterator[Page]:
        started = client.request_json("POST", path, params={k: v for k, v in params.items() if k != "limit"})
        run_id = str(started.get("report_run_id") or "") if isinstance(started, dict) else ""
        if not run_id.isdigit():
            raise ExtractError(f"{client.source}: {client.url(path)} started no report run: {str(started)[:200]}")
        run_path = f"/{client.api_version}/{run_id}"
        for attempt in range(client.poll_attempts):
            run = client.get_json(run_path)
            status = run.get("async_status") if isinstance(run, dict) else None
            if status == "Job Completed" and run.get("async_percent_completion") == 100:
                yield from self.paginator.pages(client, f"{run_path}/insights", {"limit": str(self.page_size)})
                return
            if status in _FAILED or status not in _RUNNING:
                raise ExtractError(
                    f"{client.source}: report run {run_id} of account {account.id} ended {status!r}; "
                    "rerun the stream (Meta asks to start a new report run, with a shorter range if it keeps failing)"
                )
            client.retry.sleep(min(client.poll_max_wait, client.poll_first_wait * 1.5 ** min(attempt, 12)))
        raise ExtractError(
            f"{client.source}: report run {run_id} of account {account.id} was not completed after "
            f"{client.poll_attempts} polls"
        )


@dataclass(frozen=True)
class SlicedRangeReader:
    """An endpoint without paging that silently cuts answers at `client.max_elements` (LinkedIn adAnalytics).

    `query(account, since, until)` builds the path with its query string (Rest.li syntax, kept as written).
    An answer with `max_elements` or more elements may have been cut: it is dropped and its range split in
    half, down to single days; a single day that still reaches the limit fails the stream rather than lose rows.
    """

    query: Callable[[ReportClient, Account, Day, Day], str]
    elements_key: str = "elements"

    def pages(self, client: ReportClient, account: Account, since: Day, until: Day) -> Iterator[Page]:
        pending = [(since, until)]
        number = 0
        while pending:
            start, end = pending.pop(0)
            path = self.query(client, account, start, end)
            body = client.get_json(path)
            number += 1
            records = results_of(body, self.elements_key, client, path.split("?")[0], number)
            if len(records) >= client.max_elements:
                if start == end:
                    raise ExtractError(
                        f"{client.source}: account {account.id} has {len(records)} or more elements on {start} "
                        f"alone, the API's maximum ({client.max_elements}): narrow the request (campaign facets)"
                    )
                middle = start + datetime.timedelta(days=(end - start).days // 2)
                log.info("%s: %s..%s reached %d elements; splitting", client.source, start, end, len(records))
                pending[:0] = [(start, middle), (middle + datetime.timedelta(days=1), end)]
                continue
            yield Page(number, with_account(records, account), client.url(path.split("?")[0]))


# --- the stream declaration and its run ---------------------------------------------------------------------


def dig_path(record: Any, dotted: str) -> Any:
    """`record["a"]["b"][0]` for `"a.b.0"`; None when a step is missing."""
    value = record
    for key in dotted.split("."):
        if isinstance(value, Mapping):
            value = value.get(key)
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    return value


def iso_day(value: Any) -> str | None:
    """A day as YYYY-MM-DD: from that text, or from LinkedIn's `{"year", "month", "day"}`."""
    if isinstance(value, Mapping):
        try:
            return datetime.date(int(value["year"]), int(value["month"]), int(value["day"])).isoformat()
        except (KeyError, TypeError, ValueError):
            return None
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class ReportStream(Stream):
    """Daily report rows per account (`reader` set) or the accounts themselves (`reader` None).

    `record_id` is `account_id:<key_fields...>` (e.g. `1234567890:21000001000:2026-03-01`); `cursor_field`
    names the reporting day (`cursor_value` is that day at 00:00 UTC); `lookback` is the trailing window.
    """

    key_fields: tuple[str, ...] = ()
    reader: Reader | None = None

    def record_id(self, record: Mapping[str, Any]) -> str | None:
        parts = [dig_path(record, name) for name in ("account_id", *self.key_fields)]
        if any(isinstance(part, bool) or not isinstance(part, str | int) or part == "" for part in parts):
            return None
        if self.cursor_field is not None:
            day = iso_day(dig_path(record, self.cursor_field))
            if day is None:
                return None
            parts.append(day)
        return ":".join(str(part) for part in parts)

    def cursor_text(self, record: Mapping[str, Any]) -> str | None:
        if self.cursor_field is None:
            return None
        day = iso_day(dig_path(record, self.cursor_field))
        return None if day is None else f"{day}T00:00:00+00:00"

    def run(
        self,
        client: ReportClient,
        conn: psycopg.Connection,
        on_page: OnPage | None = None,
        options: RunOptions | None = None,
    ) -> StreamReport:
        """Read every account's range (or the account list) into this stream's raw table, as one batch."""
        options = options or RunOptions()
        started = time.monotonic()
        retries_before = client.retries
        loader = RawLoader(conn, self, endpoint=client.base_url)
        loader.ensure_tables()
        with conn.transaction():
            conn.execute(REPORT_STATE_DDL)
        batch_id = loader.start_batch()
        totals = {"records": 0, "rejected": 0, "pages": 0}
        modes: set[str] = set()
        newest: Day | None = None

        def land(page: Page) -> list[Day]:
            result = loader.write_page(batch_id, page, is_deleted=False)
            totals["records"] += result.written
            totals["rejected"] += result.rejected
            totals["pages"] += 1
            if on_page is not None:
                on_page(self, totals["pages"], totals["records"])
            return [day for day in (iso_day(dig_path(r, self.cursor_field or "")) for r in page.records) if day]

        try:
            accounts = client.accounts()
            if self.reader is None:
                land(Page(1, [{**account.record, "account_id": account.id} for account in accounts]))
                modes.add("full")
            for account in accounts if self.reader is not None else ():
                if not account.reports:
                    continue
                since, mode = self._start(client, conn, account, options)
                modes.add(mode)
                last: Day | None = None
                for page in self.reader.pages(client, account, since, client.today()):
                    days = [datetime.date.fromisoformat(day) for day in land(page)]
                    last = max([*days, last] if last else days, default=None)
                if last is not None:
                    self._record_account(conn, account, last, client.base_url, batch_id)
                    newest = max(last, newest) if newest else last
            cursor = None if newest is None else datetime.datetime.combine(newest, datetime.time(), datetime.UTC)
            loader.complete_read(batch_id, cursor, None)
        except BaseException:
            loader.finish_batch(batch_id, "failed")
            raise
        loader.finish_batch(batch_id, "succeeded")
        report = StreamReport(
            source=self.source,
            stream=self.name,
            table=f"raw.{self.table}",
            batch_id=batch_id,
            records=totals["records"],
            pages=totals["pages"],
            retries=client.retries - retries_before,
            seconds=round(time.monotonic() - started, 2),
            rejected=totals["rejected"],
            mode="incremental" if modes == {"incremental"} else ("full" if modes <= {"full"} else "mixed"),
        )
        log.info("loaded %s", report)
        return report

    def _start(
        self, client: ReportClient, conn: psycopg.Connection, account: Account, options: RunOptions
    ) -> tuple[Day, str]:
        """First day to read for `account`: --since, --full-refresh, last loaded day minus the window, or all."""
        row = conn.execute(
            "select last_day, endpoint from raw._report_state where source = %s and stream = %s and account_id = %s",
            (self.source, self.name, account.id),
        ).fetchone()
        stored = state.SyncState()
        if row is not None:
            stored = state.SyncState(datetime.datetime.combine(row[0], datetime.time(), datetime.UTC), row[1])
        window = datetime.timedelta(days=client.trailing_days) if client.trailing_days is not None else self.lookback
        start = state.read_start(
            stored, client.base_url, window, full_refresh=options.full_refresh, since=options.since
        )
        log.info("%s account %s: %s", self.table, account.id, start.reason)
        if start.since is None:
            return client.first_day(), "full"
        return start.since.date(), "incremental"

    def _record_account(
        self, conn: psycopg.Connection, account: Account, last_day: Day, endpoint: str, batch_id: int
    ) -> None:
        """The account's whole range is in: remember its last loaded day (only ever forward on one endpoint)."""
        with conn.transaction():
            conn.execute(
                """
                insert into raw._report_state as s (source, stream, account_id, last_day, endpoint, last_batch_id)
                values (%s, %s, %s, %s, %s, %s)
                on conflict (source, stream, account_id) do update
                set last_day = case when s.endpoint is distinct from excluded.endpoint then excluded.last_day
                                    else greatest(s.last_day, excluded.last_day) end,
                    endpoint = excluded.endpoint,
                    last_batch_id = excluded.last_batch_id,
                    updated_at = clock_timestamp()
                """,
                (self.source, self.name, account.id, last_day, endpoint, batch_id),
            )


def report_stream(
    source: str,
    name: str,
    *,
    path: str,
    key_fields: Sequence[str],
    day_field: str | None,
    reader: Reader | None,
    trailing_days: int = 0,
) -> ReportStream:
    """A `ReportStream` declaration; `path` documents the endpoint, the reader does the requests."""
    key = ":".join(("account_id", *key_fields, *((day_field,) if day_field else ())))
    return ReportStream(
        source=source,
        name=name,
        path=path,
        primary_key=key,
        cursor_field=day_field,
        paginator=None,  # type: ignore[arg-type]  # reports page through `reader`
        lookback=datetime.timedelta(days=trailing_days),
        key_fields=tuple(key_fields),
        reader=reader,
    )
