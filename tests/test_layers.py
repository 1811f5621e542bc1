"""Imports point one way: app -> api, console -> web -> services -> domain, storage; domain imports
nothing of ours but itself; the two web edges (api/ and console/) never import each other, only
what both share (web/); and nothing below the web layer imports the web framework."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "src" / "leadblock"

# layer -> layers of leadblock it may import (besides itself, config, errors and metrics, which
# every layer may use: settings, failures and counts cut across them all)
ALLOWED = {
    "domain": set(),
    "storage": {"domain"},
    "services": {"domain", "storage"},
    "web": {"domain", "storage", "services"},
    "api": {"domain", "storage", "services", "web"},
    "console": {"domain", "storage", "services", "web"},
    "app": {"domain", "storage", "services", "web", "api", "console"},
    "asgi": {"app"},
    "cli": {"domain", "storage", "services", "web"},
}
WEB_LAYERS = ("web", "api", "console", "app", "asgi")


def leadblock_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        found.update(
            name for name in names if name.startswith(("leadblock", "fastapi", "starlette"))
        )
    return found


def layer_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


@pytest.mark.parametrize(
    "path",
    [p for p in PACKAGE.rglob("*.py") if layer_of(p) in ALLOWED],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_imports_point_one_way(path: Path) -> None:
    layer = layer_of(path)
    for name in leadblock_imports(path):
        if name.startswith(("fastapi", "starlette")):
            assert layer in WEB_LAYERS, f"{path.name} imports the web framework ({name})"
            continue
        parts = name.split(".")
        target = parts[1] if len(parts) > 1 else "leadblock"
        if target in (layer, "config", "errors", "metrics", "leadblock"):
            continue
        assert target in ALLOWED[layer], f"{layer} may not import {name}"


def test_every_module_belongs_to_a_layer() -> None:
    # A module outside every layer would escape the rule above.
    roots = {"__init__", "config", "errors", "metrics"}
    assert {layer_of(path) for path in PACKAGE.rglob("*.py")} - roots == set(ALLOWED)
