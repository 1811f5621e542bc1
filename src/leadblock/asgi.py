"""Entry point for `uvicorn --factory`: each server process builds its app from LEADBLOCK_*."""

from __future__ import annotations

import gc
import sys

from fastapi import FastAPI

from leadblock.app import create_app
from leadblock.config import Settings


def create_app_from_environment() -> FastAPI:
    # A thread doing pure-Python work (parsing a 400,000-row import) holds the GIL in 5 ms slices,
    # and the event loop waits up to a slice each time it takes the GIL back after a system call:
    # under 68 busy clients other requests were answered 1.5-3 s late, past the busy timeout.
    # 0.5 ms slices bound that (tests/api/test_lock_waits.py); no cost beyond noise in
    # `make bench` (docs/performance.md, "GIL slices").
    sys.setswitchinterval(0.0005)
    app = create_app(Settings())
    # Move everything built at start-up out of the collector's reach: full collections,
    # triggered by the ten thousand objects a bulk request allocates, then skip it.
    gc.freeze()
    return app
