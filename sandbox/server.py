"""Dependency-free HTTP plumbing: one loopback server, several emulated APIs mounted by path prefix.

Each emulated API is a ``Service`` (``sandbox/hubspot.py`` for HubSpot; Google Ads, Meta and LinkedIn can
follow) that turns a parsed ``Request`` into a ``Response``. This module knows nothing about any vendor.

It also injects HTTP-level faults into API requests (never ``/_sandbox/``), for tests: 429 storms, 5xx
bursts, slow answers, truncated bodies and connection resets (``HttpFaults``), and a token that expires
after N authorised requests (``TokenLifetime``, which services consult when they check credentials). A
service may render the injected 429 and 5xx in its vendor's shape with an optional method
``fault_response(request, status, sequence) -> Response | None``; otherwise a generic body is sent.
"""

from __future__ import annotations

import hashlib
import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: tuple[tuple[str, str], ...]  # in the order sent, repeated names kept
    headers: dict[str, str]  # names lower-cased
    body: bytes = b""

    def param(self, name: str) -> str | None:
        """Last value of query parameter ``name``."""
        values = self.params(name)
        return values[-1] if values else None

    def params(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int
    body: object = None  # JSON-serialisable; None sends no body
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is instead of ``body`` (e.g. a gateway's HTML error page)
    content_type: str = "application/json;charset=utf-8"

    def encoded_body(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False).encode()


class Service(Protocol):
    """An emulated API answering every request whose path starts with ``prefix``."""

    prefix: str

    def handle(self, request: Request) -> Response: ...


class HealthService:
    """Sandbox-only endpoints (no auth): ``GET /_sandbox/health``."""

    prefix = "/_sandbox/"

    def handle(self, request: Request) -> Response:
        if request.method == "GET" and request.path == "/_sandbox/health":
            return Response(200, {"status": "ok"})
        return Response(404, {"status": "error", "message": f"no sandbox endpoint {request.path}"})


def dispatch(services: Sequence[Service], request: Request) -> Response:
    for service in services:
        if request.path.startswith(service.prefix):
            return service.handle(request)
    return Response(404, {"status": "error", "message": f"nothing is emulated at {request.path}"})


# --- HTTP-level fault injection ---------------------------------------------------------------------------

# In the order they are tried: the first one drawn for a request is the one it gets.
HTTP_FAULTS = ("connection_reset", "truncated_json", "status_5xx", "status_429", "slow")
DEFAULT_SLOW_SECONDS = 35.0  # beyond the usual 30 s client timeout
_GATEWAY_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1>"
    "</center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)
_REASONS = {429: "Too Many Requests", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def _uniform(*parts: object) -> float:
    """A deterministic draw in [0, 1) from ``parts`` (cheap, and independent of thread scheduling)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(frozen=True)
class HttpFaults:
    """Which API requests get an HTTP-level fault: request ``n`` (counted from 0 in arrival order over every
    API path) gets fault F when ``draw(seed, F, n) < rate[F]``, so the same seed and request sequence give
    the same faults, and raising a rate only adds faulty requests."""

    rates: Mapping[str, float] = field(default_factory=dict)
    seed: int = 0
    slow_seconds: float = DEFAULT_SLOW_SECONDS

    def pick(self, sequence: int) -> str | None:
        for name in HTTP_FAULTS:
            rate = self.rates.get(name, 0.0)
            if rate > 0 and _uniform(self.seed, "http-fault", name, sequence) < rate:
                return name
        return None

    def status_5xx(self, sequence: int) -> int:
        return (502, 503, 504)[int(_uniform(self.seed, "http-5xx", sequence) * 3)]

    @staticmethod
    def default_response(status: int, sequence: int) -> Response:
        """A vendor-neutral injected error: an edge proxy's HTML page for 502/504, JSON otherwise."""
        reason = _REASONS[status]
        if status in (502, 504):
            page = _GATEWAY_PAGE.format(status=status, reason=reason).encode()
            return Response(status, raw=page, content_type="text/html")
        headers = {"Retry-After": "1"} if status == 429 and sequence % 2 == 0 else {}
        return Response(status, {"status": "error", "message": reason}, headers)


class TokenLifetime:
    """A credential that stops working after ``uses`` authorised requests (None: never expires).

    Services call ``spend()`` once a request's credential matched; False means it has expired.
    """

    def __init__(self, uses: int | None = None) -> None:
        self.uses = uses
        self.expired_at: float | None = None  # wall clock (epoch s) of the first refusal
        self._spent = 0
        self._lock = threading.Lock()

    def spend(self) -> bool:
        if self.uses is None:
            return True
        with self._lock:
            if self._spent < self.uses:
                self._spent += 1
                return True
            if self.expired_at is None:
                self.expired_at = time.time()
            return False


# --- the server ------------------------------------------------------------------------------------------


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        port: int,
        services: Sequence[Service],
        verbose: bool = False,
        http_faults: HttpFaults | None = None,
    ) -> None:
        self.services = tuple(services)
        self.verbose = verbose
        self.http_faults = http_faults or HttpFaults()
        self._sequence = 0
        self._sequence_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up (say after its timeout, during a slow answer) is not worth a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError) and not self.verbose:
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    def next_sequence(self) -> int:
        with self._sequence_lock:
            sequence = self._sequence
            self._sequence += 1
            return sequence

    def injected(self, request: Request) -> tuple[str | None, int]:
        """The HTTP fault for this request (None for none) and its sequence number; sandbox paths never get one."""
        if request.path.startswith(HealthService.prefix) or not self.http_faults.rates:
            return None, -1
        sequence = self.next_sequence()
        return self.http_faults.pick(sequence), sequence

    def fault_response(self, request: Request, fault: str, sequence: int) -> Response:
        """The injected 429 or 5xx, in the shape of the service the request is for when it offers one."""
        status = 429 if fault == "status_429" else self.http_faults.status_5xx(sequence)
        for service in self.services:
            if request.path.startswith(service.prefix):
                render = getattr(service, "fault_response", None)
                response = render(request, status, sequence) if render is not None else None
                if response is not None:
                    return response
                break
        return HttpFaults.default_response(status, sequence)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"  # keep-alive, as clients with sessions expect
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid a 40 ms delayed-ACK stall

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=url.path,
            query=tuple(parse_qsl(url.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        fault, sequence = self.server.injected(request)
        if fault == "connection_reset":
            self._reset()
            return
        if fault in ("status_429", "status_5xx"):
            response = self.server.fault_response(request, fault, sequence)
        else:
            response = dispatch(self.server.services, request)
        if fault == "slow":
            time.sleep(self.server.http_faults.slow_seconds)
        body = response.encoded_body()
        self.send_response(response.status)
        if response.body is not None or response.raw is not None:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if fault == "truncated_json":
            # The full Content-Length was promised; half the body comes, then the connection closes.
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        self.wfile.write(body)

    def _reset(self) -> None:
        """Drop the connection without a response: SO_LINGER 0 makes the close an RST, not a FIN."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815 - names the stdlib looks up

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)
