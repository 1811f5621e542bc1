"""A real `leadblock serve` process on 127.0.0.1, for tests and benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

LEADBLOCK = str(Path(sys.executable).parent / "leadblock")


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(database_url: str, log: Path, *args: str, **env: str) -> Iterator[Server]:
    """`leadblock serve` in its own process, stopped (SIGTERM, then SIGKILL) afterwards."""
    port = free_port()
    # Tests drive servers hard from one key; the rate-limit tests set their own limit.
    environment = {
        **os.environ,
        "LEADBLOCK_DATABASE_URL": database_url,
        "LEADBLOCK_RATE_LIMIT": "1000000/second",
        **env,
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [LEADBLOCK, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_until_listening(server)
        yield server
    finally:
        stop(process)


def wait_until_listening(server: Server, timeout: float = 30) -> None:
    wait_until_answering(
        "server", server.process, f"{server.url}/openapi.json", server.log, timeout
    )


def wait_until_answering(
    name: str, process: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 30
) -> None:
    """Wait until `url` answers at all; fail with the process's log if it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited:\n{log.read_text()}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not start:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
