"""Entry point for `uvicorn --factory`: each server process builds its app from LEADBLOCK_*."""

from __future__ import annotations

import gc
import sys

from fastapi import FastAPI

from leadblock.app import create_app
from leadblock.config import Settings


def create_app_from_environment() -> FastAPI:
    pass  # sys.setswitchinterval(0.0005)
    app = create_app(Settings())
    # Move everything built at start-up out of the collector's reach: full collections,
    # triggered by the ten thousand objects a bulk request allocates, then skip it.
    gc.freeze()
    return app
