"""`python -m sandbox serve ...` listening on every interface of its container, for the compose `sandbox` profile.

The sandbox CLI binds 127.0.0.1 (right on a developer's machine, unreachable from the Airflow worker's container).
This wrapper binds `SANDBOX_BIND_HOST` (default 0.0.0.0) instead and otherwise runs the CLI unchanged. Once the
CLI has a `--host` option, the compose file can call it directly and this file can go.
"""

from __future__ import annotations

import os
import sys

from sandbox import cli
from sandbox.server import SandboxServer

_loopback_bind = SandboxServer.server_bind


def _bind_every_interface(server: SandboxServer) -> None:
    server.server_address = (os.environ.get("SANDBOX_BIND_HOST", "0.0.0.0"), server.server_address[1])  # noqa: S104
    _loopback_bind(server)


if __name__ == "__main__":
    SandboxServer.server_bind = _bind_every_interface  # type: ignore[method-assign]
    sys.exit(cli.main(sys.argv[1:]))
