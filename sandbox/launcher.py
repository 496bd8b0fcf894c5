"""Start ``python -m sandbox serve`` as a child process and wait until it listens (for tests and the demo)."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parents[1]
_LISTENING = re.compile(r"sandbox listening on (http://127\.0\.0\.1:\d+)")


@dataclass(frozen=True)
class RunningSandbox:
    url: str
    process: subprocess.Popen[str]


def _first_line(stream: IO[str] | None, timeout_s: float) -> str:
    """The first line the child prints, or "" if none comes within ``timeout_s``."""
    if stream is None:
        return ""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout_s)
    except queue.Empty:
        return ""


@contextmanager
def running_sandbox(
    arguments: Sequence[str], env: Mapping[str, str] | None = None, timeout_s: float = 15.0
) -> Iterator[RunningSandbox]:
    """Run ``python -m sandbox serve --port 0 <arguments>``; yield its URL; stop it with SIGTERM afterwards.

    ``env`` adds to (not replaces) this process's environment.
    """
    command = [sys.executable, "-m", "sandbox", "serve", "--port", "0", *arguments]
    environment = {**os.environ, **(env or {})}
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=environment, stdout=subprocess.PIPE, text=True)
    try:
        match = _LISTENING.fullmatch(_first_line(process.stdout, timeout_s).strip())
        if match is None:
            raise RuntimeError(f"sandbox did not start (exit code {process.poll()}): {' '.join(command)}")
        yield RunningSandbox(match.group(1), process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
