"""The web map: ``/`` serves ``yvy/web/index.html`` and ``/static`` its JS, CSS and the vendored
Leaflet, so the map works offline with nothing fetched from elsewhere.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["WEB_DIR", "mount_static", "router"]

WEB_DIR = Path(str(resources.files("yvy") / "web"))
router = APIRouter(tags=["Web map"])


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    """The map page."""
    return FileResponse(WEB_DIR / "index.html", media_type="text/html",
                        headers={"Cache-Control": "no-cache"})


def mount_static(app: FastAPI) -> None:
    """Serve the web folder under ``/static``."""
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
