"""Swagger UI at /docs, served from the package itself.

FastAPI's own /docs page loads swagger-ui from a CDN, so it is blank without internet access,
and starts it with an inline script. Here the assets are vendored in `docs_static/` (pinned and
digest-checked by `make docs-assets`, see VENDORED.md there), the start-up code is a file of our
own (`docs-init.js`), and the page and its assets carry a strict Content-Security-Policy.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).parent / "docs_static"
HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – API docs</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/docs-init.js"></script>
</body>
</html>
"""


class _Assets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(HEADERS)
        return response


def install_docs(app: FastAPI, *, openapi_url: str = "/openapi.json") -> None:
    """GET /docs and its assets under /docs/static; the app is made with `docs_url=None`."""
    page = PAGE.format(title=escape(app.title), openapi_url=escape(openapi_url))

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(page, headers=HEADERS)

    app.mount("/docs/static", _Assets(directory=STATIC), name="docs-static")
