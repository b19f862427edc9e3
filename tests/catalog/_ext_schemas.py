"""Validate an Item against the JSON schemas of its STAC extensions, offline.

Extension schemas are read from the shared copies (``<shared>/stac-schemas/<ext>/<version>/
schema.json``, next to ``YVY_TEST_DATA``); GeoJSON schemas from the copies pystac ships. The
PROJJSON schema (only used by ``proj:projjson``, which yvy does not write) is not available
offline and is taken as permissive.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

_EXT = re.compile(r"^https://stac-extensions\.github\.io/([\w-]+)/(v[\w.\-]+)/schema\.json$")


def schema_root(data_root: Path) -> Path:
    """The shared stac-schemas folder beside the data root (skip locally / fail in CI if absent)."""
    from ..conftest import missing

    root = data_root.parent / "stac-schemas"
    if not (root / "README.md").exists():
        missing(f"STAC extension schemas not found at {root}")
    return root


def validate_extensions(item: dict, root: Path) -> list[str]:
    """Validate ``item`` against each extension schema it lists; return the URIs checked."""
    import jsonschema
    from referencing import Registry, Resource

    def retrieve(uri: str):
        m = _EXT.match(uri)
        if m:
            return Resource.from_contents(json.loads((root / m.group(1) / m.group(2) /
                                                      "schema.json").read_text()))
        if uri.startswith("https://geojson.org/schema/"):
            local = resources.files("pystac.validation.jsonschemas") / "geojson"
            return Resource.from_contents(json.loads((local / uri.rsplit("/", 1)[-1]).read_text()))
        return Resource.from_contents({"$schema": "http://json-schema.org/draft-07/schema#"})

    registry = Registry(retrieve=retrieve)
    checked = []
    for uri in item.get("stac_extensions", []):
        m = _EXT.match(uri)
        assert m, f"unexpected extension URI {uri}"
        path = root / m.group(1) / m.group(2) / "schema.json"
        assert path.exists(), f"no offline copy of {uri}"
        schema = json.loads(path.read_text())
        cls = jsonschema.validators.validator_for(schema)
        cls(schema, registry=registry).validate(item)
        checked.append(uri)
    return checked
