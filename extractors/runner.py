"""Run a source's streams: page through each endpoint and load every page into `raw`."""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from types import ModuleType

import psycopg

from extractors.core.http import HttpClient
from extractors.core.load import RawLoader
from extractors.core.streams import Stream
from warehouse import config

log = logging.getLogger(__name__)


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

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


# Each source package has `client.make_client(settings)` and `streams.STREAMS`.
SOURCES = ("hubspot",)


def _source_modules(name: str) -> tuple[ModuleType, ModuleType]:
    if name not in SOURCES:
        raise config.ConfigError(f"unknown source {name!r}: known sources are {', '.join(SOURCES)}")
    return importlib.import_module(f"extractors.{name}.client"), importlib.import_module(f"extractors.{name}.streams")


def run_source(
    name: str,
    stream_names: Sequence[str] | None = None,
    *,
    on_page: Callable[[Stream, int, int], None] | None = None,
) -> list[StreamReport]:
    """Load the named streams of one source (all of them by default) into the warehouse."""
    client_module, streams_module = _source_modules(name)
    settings = config.source(name)
    streams = _select(streams_module.STREAMS, stream_names)
    # One client for all streams of a source: they share its session and its rate budget.
    client = client_module.make_client(settings)
    with psycopg.connect(config.warehouse().url, autocommit=True) as conn, client.session:
        return [run_stream(stream, client, conn, on_page) for stream in streams]


def _select(streams: Sequence[Stream], names: Sequence[str] | None) -> list[Stream]:
    if not names:
        return list(streams)
    known = {stream.name: stream for stream in streams}
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise config.ConfigError(f"unknown stream(s) {', '.join(unknown)}: known are {', '.join(sorted(known))}")
    return [known[name] for name in names]


def run_stream(
    stream: Stream,
    client: HttpClient,
    conn: psycopg.Connection,  # in autocommit mode: each page commits on its own
    on_page: Callable[[Stream, int, int], None] | None = None,
) -> StreamReport:
    """Page through one stream (and its archived records) into its raw table as one batch."""
    started = time.monotonic()
    retries_before = client.retries
    loader = RawLoader(conn, stream)
    loader.ensure_tables()
    batch_id = loader.start_batch()
    records = pages = 0
    passes = [(stream.params, False)]
    if stream.archived_params is not None:
        passes.append((stream.archived_params, True))
    try:
        for params, is_deleted in passes:
            for page in stream.paginator.pages(client, stream.path, params):
                records += loader.write_page(batch_id, page.records, is_deleted=is_deleted)
                pages += 1
                if on_page is not None:
                    on_page(stream, pages, records)
    except BaseException:
        loader.finish_batch(batch_id, "failed")
        raise
    loader.finish_batch(batch_id, "succeeded")
    report = StreamReport(
        source=stream.source,
        stream=stream.name,
        table=f"raw.{stream.table}",
        batch_id=batch_id,
        records=records,
        pages=pages,
        retries=client.retries - retries_before,
        seconds=round(time.monotonic() - started, 2),
    )
    log.info("loaded %s", report)
    return report
