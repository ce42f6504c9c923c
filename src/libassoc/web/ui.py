"""The query UI: YASGUI from ``node_modules`` (installed by ``make assets``), served by the app.

Nothing is fetched from another site: the script and style sheet come from this server, and the
page opens with one tab per competency query of ``queries/``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from libassoc.web.state import Service

ASSETS_PATH = "/assets/yasgui"
SCRIPT_PATH = "/assets/query-ui.js"
SCRIPT = files("libassoc.web").joinpath("static/query-ui.js").read_bytes()
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def mount_assets(app: FastAPI, build: Path) -> None:
    """Serve YASGUI's built files and the page's script; a missing YASGUI shows as a notice."""
    app.mount(ASSETS_PATH, StaticFiles(directory=build, check_dir=False), name="yasgui")
    app.add_route(SCRIPT_PATH, script, methods=["GET", "HEAD"], include_in_schema=False)


async def script(_request: Request) -> Response:
    """The page's own script: a file, so that the page needs no inline script."""
    return Response(SCRIPT, media_type="text/javascript", headers={"cache-control": "max-age=3600"})


def page(request: Request, service: Service, endpoint: str) -> HTMLResponse:
    examples = [{"name": query.name, "query": query.text} for query in service.catalog.competency()]
    return TEMPLATES.TemplateResponse(
        request,
        "query-ui.html",
        {
            "endpoint": endpoint,
            "assets": ASSETS_PATH,
            "script": SCRIPT_PATH,
            "assets_installed": (service.config.assets / "yasgui.min.js").is_file(),
            "examples": examples,
        },
        headers={"Vary": "Accept"},
    )
