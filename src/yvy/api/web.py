"""The web map: ``/`` serves ``yvy/web/index.html`` and ``/static`` its JS, CSS and the vendored
Leaflet, so the map works offline with nothing fetched from elsewhere; ``/api.html`` is the API
documentation, with Swagger UI from the ``swagger-ui-bundle`` package (no CDN).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from yvy.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalog_with_fallback

__all__ = ["WEB_DIR", "mount_static", "router"]

WEB_DIR = Path(str(resources.files("yvy") / "web"))
router = APIRouter(tags=["Web map"])


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    """The map page."""
    return FileResponse(WEB_DIR / "index.html", media_type="text/html",
                        headers={"Cache-Control": "no-cache"})


@router.get("/api.html", include_in_schema=False, name="swagger_ui_html")
def api_docs() -> FileResponse:
    """The API documentation page (Swagger UI over ``/api``)."""
    return FileResponse(WEB_DIR / "api.html", media_type="text/html", headers={"Cache-Control": "no-cache"})


@router.get("/i18n/{lang}.json", include_in_schema=False)
def web_catalog(lang: str) -> JSONResponse:
    """The translations of one language for the web map (``{msgid: text}``; ids are the English texts;
    Guaraní over Spanish for the texts only Spanish has)."""
    if lang not in LANGUAGES:
        raise HTTPException(404, f"unknown language {lang!r}; one of {', '.join(LANGUAGES)}")
    return JSONResponse({"lang": lang, "default": DEFAULT_LANGUAGE, "messages": catalog_with_fallback(lang)},
                        headers={"Cache-Control": "no-cache"})


def mount_static(app: FastAPI) -> None:
    """Serve the web folder under ``/static`` and Swagger UI under ``/static/swagger-ui``."""
    import swagger_ui_bundle

    app.mount("/static/swagger-ui", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
