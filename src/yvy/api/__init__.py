"""The FastAPI adapter: STAC API, OGC API Features, tiles, review, feeds and the web map.

``create_app(workspace)`` builds the ASGI app; ``serve(workspace, host, port)`` runs it.
Imports fastapi, stac-fastapi and rio-tiler; nothing in the domain imports this package.
"""

from __future__ import annotations

__all__ = ["create_app", "serve"]


def __getattr__(name: str):
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(name)
