"""
### ingest_hubspot

HubSpot CRM v3 into `raw`: one task per stream (contacts, companies, deals, engagements, owners,
pipelines, and the associations v4 of each), each updating the Asset of its raw table
(`raw.hubspot__<stream>`). Association streams wait for the stream whose ids they read.

- **Schedule**: `SMARKETING_INGEST_CRON` (default `0 0 * * *`) in `SMARKETING_TIMEZONE` (default UTC).
  A run's data interval is the day before the run; its end is the night's `as_of`.
- **Window**: each stream reads what changed since its stored cursor (minus the stream's lookback), or since
  the data interval start when that is earlier (a rerun or a backfilled night re-reads its own window);
  a fresh warehouse reads everything. Raw is append-only, so a rerun adds versions and changes no mart.
- **Connection** `hubspot_default` (base URL in `host`, private app token in `password`); without it the
  task uses `HUBSPOT_BASE_URL` / `HUBSPOT_TOKEN`.
- **Backfill**: `airflow backfill create --dag-id ingest_hubspot --from-date ... --to-date ...`.
- **Pool** `hubspot_api` (1 slot: HubSpot's budget is per token); retries with exponential backoff;
  a failed task posts to `SMARKETING_ALERT_WEBHOOK`.
"""

from __future__ import annotations

from _shared.ingest import ingest_dag

dag = ingest_dag("hubspot", __doc__, __file__)
