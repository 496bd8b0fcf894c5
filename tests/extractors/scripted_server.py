"""A tiny HTTP server on loopback that answers each request with the next reply of a script."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# A reply writes a whole answer (status line, headers, body, or less) to the handler's socket.
Reply = Callable[[BaseHTTPRequestHandler], None]


def json_reply(status: int, body: object, headers: dict[str, str] | None = None) -> Reply:
    payload = json.dumps(body).encode()

    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)

    return reply


def raw_reply(head: bytes, body: bytes) -> Reply:
    """Exactly these bytes, then the connection closes (HTTP/1.0): for bodies cut off mid-way."""

    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(head + b"\r\n\r\n" + body)
        handler.wfile.flush()

    return reply


def truncated_json_reply(declared_length: int | None = None) -> Reply:
    """The first part of a JSON page; `declared_length` larger than what is sent mimics a dropped connection."""
    body = b'{"results": [{"id": "1", "properties": {"email": "a@example.com"'
    length = len(body) if declared_length is None else declared_length
    return raw_reply(f"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}".encode(), body)


@dataclass
class ScriptedServer:
    url: str
    script: list[Reply] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # path and query string of every request received
    authorizations: list[str | None] = field(default_factory=list)

    def answer(self, *replies: Reply) -> None:
        self.script.extend(replies)


@contextmanager
def scripted_server() -> Iterator[ScriptedServer]:
    server_state: ScriptedServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server_state.paths.append(self.path)
            server_state.authorizations.append(self.headers.get("Authorization"))
            if not server_state.script:
                json_reply(599, {"message": "the test script has no reply left"})(self)
                return
            server_state.script.pop(0)(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state = ScriptedServer(url=f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
