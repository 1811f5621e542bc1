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
    # A 10,000-item request allocates some 100,000 objects that live until its answer is sent;
    # at Python's default (a young collection every 700) the collector walked them over and
    # over: a check of 10,000 leads with their companies took 76 ms, 68 ms with 20,000 (10,000
    # strings: 46, then 43 ms). The memory held between collections stays a few megabytes.
    gc.set_threshold(20_000, 50, 50)
    return app
