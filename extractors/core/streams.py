"""A stream is a declaration: where its records live, how they page, what identifies and orders them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from extractors.core.pagination import Paginator

_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,40}")
POSTGRES_MAX_IDENTIFIER = 63  # longer names are silently truncated, so two streams could share a table


@dataclass(frozen=True)
class Stream:
    """One API collection loaded into `raw.<source>__<name>`.

    `primary_key` and `cursor_field` are top-level keys of each record. When `archived_params` is set,
    a second pass with those parameters reads deleted records, which land with `is_deleted = true`.
    """

    source: str
    name: str
    path: str
    primary_key: str
    cursor_field: str
    paginator: Paginator
    params: Mapping[str, Any] = field(default_factory=dict)
    archived_params: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        for part in (self.source, self.name):
            if not _IDENTIFIER.fullmatch(part):
                raise ValueError(
                    f"stream identifier {part!r} must be a lower-case letter, then up to 40 lower-case letters, "
                    "digits and underscores"
                )
        if len(self.table) > POSTGRES_MAX_IDENTIFIER:
            raise ValueError(
                f"stream identifier {self.table!r} is longer than Postgres' {POSTGRES_MAX_IDENTIFIER} characters"
            )

    @property
    def table(self) -> str:
        return f"{self.source}__{self.name}"
