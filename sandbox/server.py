"""Dependency-free HTTP plumbing: one loopback server, several emulated APIs mounted by path prefix.

Each emulated API is a ``Service`` (``sandbox/hubspot.py`` for HubSpot; Google Ads, Meta and LinkedIn can
follow) that turns a parsed ``Request`` into a ``Response``. This module knows nothing about any vendor.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
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

    def encoded_body(self) -> bytes:
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


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, port: int, services: Sequence[Service], verbose: bool = False) -> None:
        self.services = tuple(services)
        self.verbose = verbose
        super().__init__(("127.0.0.1", port), _Handler)

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
        response = dispatch(self.server.services, request)
        body = response.encoded_body()
        self.send_response(response.status)
        if response.body is not None:
            self.send_header("Content-Type", "application/json;charset=utf-8")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815 - names the stdlib looks up

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)
