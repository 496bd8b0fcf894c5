"""
### ingest_linkedin_ads

LinkedIn Marketing API into `raw`: one task per stream
(accounts, campaigns, campaign_daily), each updating the Asset of its raw
table (`raw.linkedin_ads__<stream>`).

- **Schedule**: `SMARKETING_INGEST_CRON` (default `0 0 * * *`) in `SMARKETING_TIMEZONE` (default UTC).
  A run's data interval is the day before the run; its end is the night's `as_of`.
- **Window**: the stored cursor minus the stream's lookback, or the data interval start when that is earlier
  (a rerun or a backfilled night re-reads its own window); raw is append-only, so reruns are idempotent.
- **Connection** `linkedin_ads_default` (base URL in `host`, token in `password`, other settings in extras);
  without it the task uses the `LINKEDIN_ADS_*` environment variables (see `warehouse/config.py`).
- **Backfill**: `airflow backfill create --dag-id ingest_linkedin_ads --from-date ... --to-date ...`.
- **Pool** `linkedin_ads_api` (1 slot per credential); retries with exponential backoff; a failed task posts to
  `SMARKETING_ALERT_WEBHOOK`.
"""

from __future__ import annotations

from _shared.ingest import ingest_dag

dag = ingest_dag("linkedin_ads", __doc__, __file__)
