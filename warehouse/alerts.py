"""Alerts: a Slack-compatible JSON message to `SMARKETING_ALERT_WEBHOOK`, always also logged.

Imported when DAG files are parsed (the DAGs' `on_failure_callback`), so only the standard library here.
Messages name the DAG, task, run and the error's type and first line; never a connection, a token or a URL
with credentials (error messages in this project name the setting to fix, not its value, and the webhook
URL itself is never logged).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import urllib.request
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

WEBHOOK_VARIABLE = "SMARKETING_ALERT_WEBHOOK"
TIMEOUT_SECONDS = 10


def post(text: str, fields: Mapping[str, object]) -> bool:
    """Log the alert and post it to the webhook when one is configured; never raises. True when delivered."""
    payload = slack_payload(text, fields)
    log.error("ALERT %s", json.dumps(payload, default=str))
    url = os.environ.get(WEBHOOK_VARIABLE, "").strip()
    if not url:
        log.warning("%s is not set: the alert above was only logged", WEBHOOK_VARIABLE)
        return False
    if not url.startswith(("https://", "http://")):
        log.error("%s must be an http(s) URL: the alert above was only logged", WEBHOOK_VARIABLE)
        return False
    request = urllib.request.Request(  # noqa: S310 (http(s) checked above)
        url,
        data=json.dumps(payload, default=str).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return 200 <= response.status < 300
    except Exception as error:  # an alert that cannot be delivered must not hide the original failure
        log.error("could not post the alert to %s: %s", WEBHOOK_VARIABLE, type(error).__name__)
        return False


def slack_payload(text: str, fields: Mapping[str, object]) -> dict[str, Any]:
    """`text` for any Slack-compatible receiver (Slack, Mattermost, Teams workflows), plus a fields block."""
    lines = "\n".join(f"*{key}*: {value}" for key, value in fields.items() if value not in (None, ""))
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": lines or "-"}},
        ],
    }


def _error_line(error: object) -> str:
    if error is None:
        return ""
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first[:300]}"


def on_task_failure(context: Mapping[str, Any]) -> None:
    """`on_failure_callback` of every task (DEFAULT_ARGS)."""
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    post(
        f"smarketing: {dag_id}.{task_id} failed",
        {
            "dag": dag_id,
            "task": task_id,
            "run": context.get("run_id"),
            "try": getattr(ti, "try_number", None),
            "logical date": context.get("logical_date"),
            "error": _error_line(context.get("exception")),
            "log": getattr(ti, "log_url", None),
        },
    )


async def on_deadline_missed(context: Mapping[str, Any] | None = None, **kwargs: object) -> None:
    """DeadlineAlert callback of `build_warehouse` (runs in the triggerer): the marts were not published in time."""
    context = context or {}
    dag_run = context.get("dag_run")
    fields = {
        "dag": getattr(dag_run, "dag_id", None) or kwargs.get("dag_id"),
        "run": getattr(dag_run, "run_id", None),
        "deadline": context.get("deadline") or kwargs.get("deadline"),
        "what": kwargs.get("what", "the marts were not published in time"),
    }
    await asyncio.to_thread(post, "smarketing: marts not published by the deadline", fields)
