"""A throwaway `redis-server` on 127.0.0.1 for the tests that share rate limits between
processes: installed from Debian's packages when missing (the test machines run as root with
the Debian mirror reachable), started on a free port with no persistence, stopped afterwards."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.server import free_port


def ensure_redis_server() -> str:
    binary = shutil.which("redis-server")
    if binary:
        return binary
    if os.geteuid() != 0:
        raise RuntimeError("redis-server is missing and the tests are not root to install it")
    install = ["apt-get", "install", "-y", "--no-install-recommends", "redis-server"]
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, env=environment, capture_output=True, check=False).returncode:
        subprocess.run(["apt-get", "update"], env=environment, capture_output=True, check=True)
        subprocess.run(install, env=environment, capture_output=True, check=True)
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server could not be installed")
    return binary


@contextmanager
def redis_server() -> Iterator[str]:
    """Yields redis://127.0.0.1:PORT/0 of a fresh server."""
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = subprocess.Popen(
            [
                ensure_redis_server(),
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                folder,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError("redis-server did not start") from None
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)
