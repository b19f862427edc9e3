"""The FastAPI adapter: STAC API, OGC API Features, tiles, review, feeds and the web map.

``create_app(workspace)`` builds the ASGI app; ``serve(workspace, host, port)`` runs it.
Imports fastapi, stac-fastapi and rio-tiler; nothing in the domain imports this package.
"""

from __future__ import annotations

import os

__all__ = ["create_app", "serve"]

# stac-fastapi builds a settings object when its modules are imported and logs a warning when
# these are unset; yvy's app sets its own title and description, so name the library's defaults
# before any submodule imports it.
for _key, _value in (("STAC_FASTAPI_TITLE", "yvy STAC API"),
                     ("STAC_FASTAPI_DESCRIPTION", "Scenes and detection products catalogued by yvy"),
                     ("STAC_FASTAPI_LANDING_ID", "yvy"), ("STAC_FASTAPI_VERSION", "1.0.0")):
    os.environ.setdefault(_key, _value)


def __getattr__(name: str):
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(name)
