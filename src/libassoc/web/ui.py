"""The query UI: YASGUI from ``node_modules`` (installed by ``make assets``), served by the app.

Nothing is fetched from another site: the script and style sheet come from this server, and the
page opens with one tab per competency query of ``queries/``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from libassoc.web.state import Service

ASSETS_PATH = "/assets/yasgui"
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def mount_assets(app: FastAPI, build: Path) -> None:
    """Serve YASGUI's built files; a missing install shows as a notice on the page, not a crash."""
    app.mount(ASSETS_PATH, StaticFiles(directory=build, check_dir=False), name="yasgui")


def page(request: Request, service: Service, endpoint: str) -> HTMLResponse:
    examples = [{"name": query.name, "query": query.text} for query in service.catalog.competency()]
    return TEMPLATES.TemplateResponse(
        request,
        "query-ui.html",
        {
            "endpoint": endpoint,
            "assets": ASSETS_PATH,
            "assets_installed": (service.config.assets / "yasgui.min.js").is_file(),
            "examples": examples,
        },
        headers={"Vary": "Accept"},
    )
