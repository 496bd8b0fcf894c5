"""Run a source's streams: plan each stream's reads from its declaration and state, load every page into `raw`."""

from __future__ import annotations

import datetime
import importlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from types import ModuleType

import psycopg

from extractors.core.http import HttpClient
from extractors.core.load import RawLoader
from extractors.core.pagination import IdBatchPaginator, Page
from extractors.core.prefetch import prefetched
from extractors.core.state import ReadStart, SyncState, capped, load_state, read_start
from extractors.core.streams import Properties, Stream
from warehouse import config

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    """What the command line can change about a run."""

    full_refresh: bool = False
    since: datetime.datetime | None = None


@dataclass(frozen=True)
class StreamReport:
    source: str
    stream: str
    table: str
    batch_id: int
    records: int
    pages: int
    retries: int
    seconds: float
    rejected: int = 0
    mode: str = "full"
    new_properties: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Pass:
    """One sequence of pages to load: `ordered` pages come in cursor order and move the cursor as they land."""

    pages: Iterator[Page]
    is_deleted: bool = False
    ordered: bool = False
    moves_cursor: bool = True
    # Fetch the next page while this one loads; not for pages whose making reads the loader's connection.
    prefetch: bool = True


@dataclass(frozen=True)
class Plan:
    """A run's passes, a word for the report, and what a by-parent read stores when it completes."""

    passes: list[Pass]
    mode: str
    parent_cursor: datetime.datetime | None = None  # the parent's cursor when the read began
    full_parent_read: bool = False


@dataclass
class _Progress:
    records: int = 0
    pages: int = 0
    rejected: int = 0
    newest: datetime.datetime | None = None
    extra: dict[str, object] = field(default_factory=dict)


# Called after every page with (stream, pages so far, records so far).
OnPage = Callable[[Stream, int, int], None]

# Each source package has `client.make_client(settings)` and `streams.STREAMS`.
SOURCES = ("hubspot", "google_ads", "meta_ads", "linkedin_ads")


def _source_modules(name: str) -> tuple[ModuleType, ModuleType]:
    if name not in SOURCES:
        raise config.ConfigError(f"unknown source {name!r}: known sources are {', '.join(SOURCES)}")
    return importlib.import_module(f"extractors.{name}.client"), importlib.import_module(f"extractors.{name}.streams")


def run_source(
    name: str,
    stream_names: Sequence[str] | None = None,
    *,
    on_page: OnPage | None = None,
    options: RunOptions | None = None,
    on_stream_done: Callable[[StreamReport], None] | None = None,
) -> list[StreamReport]:
    """Load the named streams of one source (all of them by default, in declaration order) into the warehouse."""
    client_module, streams_module = _source_modules(name)
    settings = config.source(name)
    streams = _select(streams_module.STREAMS, stream_names)
    # One client for all streams of a source: they share its session and its rate budget.
    client = client_module.make_client(settings)
    reports = []
    with psycopg.connect(config.warehouse().url, autocommit=True) as conn, client.session:
        for stream in streams:
            reports.append(run_stream(stream, client, conn, on_page, options))
            if on_stream_done is not None:
                on_stream_done(reports[-1])
    return reports


def _select(streams: Sequence[Stream], names: Sequence[str] | None) -> list[Stream]:
    if not names:
        return list(streams)
    known = {stream.name: stream for stream in streams}
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise config.ConfigError(f"unknown stream(s) {', '.join(unknown)}: known are {', '.join(sorted(known))}")
    return [stream for stream in streams if stream.name in set(names)]


def run_stream(
    stream: Stream,
    client: HttpClient,
    conn: psycopg.Connection,  # in autocommit mode: each page commits on its own
    on_page: OnPage | None = None,
    options: RunOptions | None = None,
) -> StreamReport:
    """Read one stream (and its archived records) into its raw table as one batch."""
    own_run = getattr(stream, "run", None)  # report streams (extractors.core.reports) read account by account
    if own_run is not None:
        return own_run(client, conn, on_page, options)
    options = options or RunOptions()
    started = time.monotonic()
    started_at = datetime.datetime.now(datetime.UTC)
    retries_before = client.retries
    loader = RawLoader(conn, stream, endpoint=client.base_url)
    loader.ensure_tables()
    previous = loader.load_state()
    batch_id = loader.start_batch()
    progress = _Progress()
    try:
        properties = stream.catalog.discover(client) if stream.catalog is not None else None
        new_properties = _new_properties(stream, previous.properties, properties)
        start = read_start(previous, client.base_url, stream.lookback, **vars(options))
        plan = _plan(stream, client, loader, start, properties, previous, started_at, options)
        for read in plan.passes:
            _load_pass(read, stream, loader, batch_id, started_at, progress, on_page)
        cursor = plan.parent_cursor if stream.parent is not None else capped(progress.newest, started_at)
        full_read_at = started_at if plan.full_parent_read else None
        loader.complete_read(batch_id, cursor, properties and properties.names, full_read_at=full_read_at)
    except BaseException as error:
        _mark_failed(loader, batch_id, error)
        raise
    loader.finish_batch(batch_id, "succeeded")
    report = StreamReport(
        source=stream.source,
        stream=stream.name,
        table=f"raw.{stream.table}",
        batch_id=batch_id,
        records=progress.records,
        pages=progress.pages,
        retries=client.retries - retries_before,
        seconds=round(time.monotonic() - started, 2),
        rejected=progress.rejected,
        mode=plan.mode,
        new_properties=new_properties,
    )
    log.info("loaded %s", report)
    return report


def _mark_failed(loader: RawLoader, batch_id: int, error: BaseException) -> None:
    """Mark the batch failed; if even that fails (the warehouse went away), keep the original error."""
    try:
        loader.finish_batch(batch_id, "failed")
    except Exception as marking_error:
        log.error("could not mark batch %s failed: %s", batch_id, marking_error)
        error.add_note(f"marking batch {batch_id} failed also failed: {marking_error!r}")
        error.__context__ = marking_error


def _new_properties(stream: Stream, known: frozenset[str] | None, found: Properties | None) -> tuple[str, ...]:
    """Properties the catalog lists today but did not on the last complete run (reported once, here)."""
    if found is None or known is None:
        return ()
    new = tuple(name for name in found.names if name not in known)
    if new:
        log.warning("%s: new properties since the last run: %s", stream.table, ", ".join(new))
    return new


def _plan(
    stream: Stream,
    client: HttpClient,
    loader: RawLoader,
    start: ReadStart,
    properties: Properties | None,
    previous: SyncState,
    started_at: datetime.datetime,
    options: RunOptions,
) -> Plan:
    """The passes of this run and a word for the report: full, incremental, by-parent (incremental)."""
    if stream.parent is not None:
        return _by_parent_plan(stream, client, loader, start, previous, started_at, options.since)
    passes, mode = [_main_pass(stream, client, start, properties)], "full"
    if passes[0].ordered:
        mode = "incremental"
    if stream.archived_params is not None:
        params = {**stream.archived_params, **_list_params(stream, properties)}
        passes.append(Pass(_list_pages(stream, client, params), is_deleted=True, moves_cursor=False))
    log.info("%s: %s", stream.table, start.reason if mode == "incremental" else mode)
    return Plan(passes, mode)


def _by_parent_plan(
    stream: Stream,
    client: HttpClient,
    loader: RawLoader,
    start: ReadStart,
    previous: SyncState,
    started_at: datetime.datetime,
    since_option: datetime.datetime | None,
) -> Plan:
    """Every active parent, or only those changed since the cursor minus the lookback (see `Stream`)."""
    assert stream.parent is not None and isinstance(stream.paginator, IdBatchPaginator)
    parent = load_state(loader.conn, stream.source, stream.parent)
    # Read before the ids: every parent change up to it is in the parent's raw table now.
    parent_cursor = parent.cursor_for(client.base_url)
    # `--since` asks for the changes since an instant; otherwise a full read is due now and then.
    full = start.since is None or (since_option is None and _full_read_due(stream, previous, started_at))
    since = None if full else start.since
    ids = loader.active_ids(f"{stream.source}__{stream.parent}", changed_since=since)
    log.info("%s: %s", stream.table, "every active parent" if full else f"parents {start.reason}")
    pages = stream.paginator.pages(client, stream.path, ids)
    mode = "by-parent" if full else "by-parent incremental"
    # The ids stream from a cursor on the loader's connection: no prefetching thread may use it meanwhile.
    read = Pass(pages, moves_cursor=False, prefetch=False)
    return Plan([read], mode, parent_cursor=parent_cursor, full_parent_read=full)


def _full_read_due(stream: Stream, previous: SyncState, started_at: datetime.datetime) -> bool:
    """A by-parent stream reads every parent again once its last full read is `parent_full_read_every` old."""
    every = stream.parent_full_read_every
    if every is None or previous.full_read_at is None:
        return True
    return started_at - previous.full_read_at >= every


def _can_search(stream: Stream, properties: Properties | None) -> bool:
    """A stream reads incrementally when it can search, and can re-read the history it keeps."""
    if stream.search is None:
        return False
    return not (properties and properties.with_history) or stream.history_reader is not None


def _main_pass(stream: Stream, client: HttpClient, start: ReadStart, properties: Properties | None) -> Pass:
    if start.since is not None and _can_search(stream, properties):
        assert stream.search is not None and stream.search_path is not None
        names = properties.names if properties else ()
        pages = stream.search.pages(client, stream.search_path, start.since, names)
        if properties and properties.with_history:
            pages = _with_history(stream, client, pages, properties)
        return Pass(pages, ordered=True)
    return Pass(_list_pages(stream, client, {**stream.params, **_list_params(stream, properties)}))


def _list_pages(stream: Stream, client: HttpClient, params: dict[str, object]) -> Iterator[Page]:
    assert not isinstance(stream.paginator, IdBatchPaginator), f"{stream.name}: id batches need a parent"
    return stream.paginator.pages(client, stream.path, params)


def _list_params(stream: Stream, properties: Properties | None) -> dict[str, object]:
    return stream.catalog.list_params(properties) if stream.catalog is not None and properties is not None else {}


def _with_history(stream: Stream, client: HttpClient, pages: Iterator[Page], properties: Properties) -> Iterator[Page]:
    """Each searched page again through the batch read, now with property history (search has none)."""
    assert stream.history_reader is not None and stream.history_path is not None
    extra = {"properties": list(properties.names), "propertiesWithHistory": list(properties.with_history)}
    for page in pages:
        ids = [str(record.get("id")) for record in page.records if record.get("id") is not None]
        reread = stream.history_reader.pages(client, stream.history_path, ids, extra)
        records = [record for batch in reread for record in batch.records]
        # The search page's checkpoint, not the re-read records' times: a record changed after the search
        # comes back newer than records the search has not reached yet.
        yield Page(page.number, records, client.url(stream.history_path), checkpoint=page.checkpoint)


def _load_pass(
    read: Pass,
    stream: Stream,
    loader: RawLoader,
    batch_id: int,
    started_at: datetime.datetime,
    progress: _Progress,
    on_page: OnPage | None,
) -> None:
    pages = prefetched(read.pages, name=f"prefetch {stream.table}") if read.prefetch else read.pages
    for page in pages:
        result = loader.write_page(
            batch_id, page, is_deleted=read.is_deleted, move_cursor_until=started_at if read.ordered else None
        )
        progress.records += result.written
        progress.rejected += result.rejected
        progress.pages += 1
        if read.moves_cursor and result.newest_cursor is not None:
            progress.newest = max(filter(None, (progress.newest, result.newest_cursor)))
        if on_page is not None:
            on_page(stream, progress.pages, progress.records)
