"""Helpers shared by the ad platform emulations: credentials, deterministic ids, money and dates."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
from datetime import date
from decimal import Decimal

from sandbox.server import Request


def bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` (or ``OAuth <token>``) header, if any."""
    header = request.header("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and token.strip():
        return token.strip()
    return None


def same_secret(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def stable_id(*parts: object, length: int = 22) -> str:
    """A request-id-looking string that depends only on ``parts`` (so identical requests match byte for byte)."""
    digest = hashlib.sha256(":".join(str(part) for part in parts).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:length]


class Counter:
    """A thread-safe sequence 1, 2, 3, ... (per process: same requests in the same order, same numbers)."""

    def __init__(self) -> None:
        self._value = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            self._value += 1
            return self._value


def money(minor: int) -> str:
    """Cents as a decimal string with two places: 1234 -> '12.34'."""
    return str(Decimal(minor).scaleb(-2).quantize(Decimal("0.01")))


def parse_day(text: str) -> date:
    """A strict YYYY-MM-DD day; ValueError otherwise."""
    if len(text) != 10:
        raise ValueError(text)
    return date.fromisoformat(text)


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """ValueError for anything that is not a cursor this sandbox issued."""
    try:
        offset = int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(cursor) from None
    if offset < 0:
        raise ValueError(cursor)
    return offset
