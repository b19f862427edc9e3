"""Validate STAC documents offline: the STAC 1.1 core schemas that pystac ships, and extension
schemas answered from a local folder laid out as ``<extension>/<version>/schema.json`` (the
layout of ``https://stac-extensions.github.io/<extension>/<version>/schema.json``).

Used by the tests to check that every item and collection yvy writes or serves is valid STAC,
extensions included, with no network. Imports pystac and jsonschema only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pystac
from pystac.validation.stac_validator import JsonSchemaSTACValidator

__all__ = ["EXTENSIONS_URL", "offline_validator", "validate_offline"]

EXTENSIONS_URL = "https://stac-extensions.github.io/{extension}/{version}/schema.json"


def offline_validator(schema_root: str | Path) -> JsonSchemaSTACValidator:
    """A pystac validator whose extension schemas come from ``schema_root`` (never the network)."""
    validator = JsonSchemaSTACValidator()
    for path in sorted(Path(schema_root).glob("*/*/schema.json")):
        url = EXTENSIONS_URL.format(extension=path.parent.parent.name, version=path.parent.name)
        validator.schema_cache[url] = json.loads(path.read_text())
    return validator


def validate_offline(doc: dict, validator: JsonSchemaSTACValidator) -> list[str]:
    """Validate an Item, Collection or Catalog dict (core and every extension it declares).

    Returns the schema URIs checked; raises :class:`pystac.errors.STACValidationError` naming
    the document when it is not valid. An extension whose schema is not in the local folder is
    an error, not a silent pass.
    """
    missing = [u for u in doc.get("stac_extensions", []) if u not in validator.schema_cache]
    if missing:
        raise pystac.errors.STACValidationError(f"{doc.get('id')}: no local schema for {missing}")
    return pystac.validation.validate_dict(doc, validator=validator)
