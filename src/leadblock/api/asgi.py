"""Entry point for `uvicorn --factory`: each server process builds its app from LEADBLOCK_*."""

from __future__ import annotations

from fastapi import FastAPI

from leadblock.api.app import create_app
from leadblock.config import Settings


def create_app_from_environment() -> FastAPI:
    return create_app(Settings())
