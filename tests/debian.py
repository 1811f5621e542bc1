"""Programs the tests need from Debian's packages (redis-server, chromium), installed when
missing: the test machines run as root with the Debian mirror reachable."""

from __future__ import annotations

import os
import shutil
import subprocess


def ensure_program(program: str, *packages: str) -> str:
    """The path of `program`, installing `packages` with apt-get first if it is missing."""
    binary = shutil.which(program)
    if binary:
        return binary
    if os.geteuid() != 0:
        raise RuntimeError(f"{program} is missing and the tests are not root to install it")
    install = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, env=environment, capture_output=True, check=False).returncode:
        subprocess.run(["apt-get", "update"], env=environment, capture_output=True, check=True)
        subprocess.run(install, env=environment, capture_output=True, check=True)
    binary = shutil.which(program)
    if binary is None:
        raise RuntimeError(f"{program} could not be installed from {', '.join(packages)}")
    return binary
