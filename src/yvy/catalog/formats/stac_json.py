"""STAC Item and ItemCollection JSON documents.

Claims every ``.json`` / ``.geojson`` file left by the product readers. A document that is not
valid JSON, not a STAC Item / ItemCollection, or fails the core STAC schema is an
:class:`~yvy.errors.InputError` naming the file. Relative asset hrefs are resolved against the
JSON's location (local folder or archive member); local files they point to are claimed with the
JSON so the GeoTIFF reader does not describe them twice.

Must not import: click, rich, sqlite3, yvy.storage, yvy.cli.
"""

from __future__ import annotations

import json
import posixpath
import re

import pystac

from ...errors import InputError
from ..items import basename, dirname, read_bytes, validate_item
from . import IngestOptions, SceneGroup

__all__ = ["StacJsonFormat", "FORMAT", "resolve_href"]

NAME = "stac_json"
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


class StacJsonFormat:
    """STAC Item / ItemCollection JSON files."""

    name = NAME

    def claim(self, paths: list[str]) -> list[SceneGroup]:
        """Every JSON file, with the local asset files a STAC document references."""
        available = set(paths)
        out = []
        for p in paths:
            if not basename(p).lower().endswith((".json", ".geojson")):
                continue
            files = [p]
            doc = _try_load(p)
            for feature in _features(doc):
                for asset in (feature.get("assets") or {}).values():
                    if isinstance(asset, dict) and isinstance(asset.get("href"), str):
                        href = resolve_href(asset["href"], p)
                        if href in available and href not in files:
                            files.append(href)
            out.append(SceneGroup(NAME, p, tuple(files)))
        return out

    def to_items(self, group: SceneGroup, options: IngestOptions) -> list[pystac.Item]:
        """The Item, or every Item of an ItemCollection; invalid documents raise InputError."""
        path = group.key
        try:
            doc = json.loads(read_bytes(path))
        except ValueError as exc:
            raise InputError(path, f"not valid JSON ({_first_line(exc)})") from exc
        except RecursionError:
            raise InputError(path, "JSON nested too deeply to be a STAC document") from None
        if not isinstance(doc, dict):
            raise InputError(path, "not a STAC Item or ItemCollection (top level is not an object)")
        kind = doc.get("type")
        if kind == "Feature":
            features = [doc]
        elif kind == "FeatureCollection" and isinstance(doc.get("features"), list):
            features = doc["features"]
        else:
            raise InputError(path, f"not a STAC Item or ItemCollection (type {kind!r})")
        items = []
        for i, feature in enumerate(features):
            where = path if kind == "Feature" else f"{path}#features/{i}"
            items.append(_to_item(feature, path, where, options))
        return items


FORMAT = StacJsonFormat()


def _to_item(feature: object, path: str, where: str, options: IngestOptions) -> pystac.Item:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InputError(where, "not a STAC Item (type is not 'Feature')")
    if "stac_version" not in feature:
        raise InputError(where, "not a STAC Item (no stac_version)")
    try:
        item = pystac.Item.from_dict(feature, migrate=True, preserve_dict=True)
    except Exception as exc:  # pystac raises KeyError/TypeError/STACError for broken dicts
        raise InputError(where, f"invalid STAC Item ({exc.__class__.__name__}: "
                                f"{_first_line(exc)})") from exc
    validate_item(item, where)
    for asset in item.assets.values():
        asset.href = resolve_href(asset.href, path)
    item.clear_links()
    item.properties["yvy:format"] = NAME
    if options.collection:
        item.collection_id = options.collection
    return item


def resolve_href(href: str, doc_path: str) -> str:
    """Absolute form of an asset href relative to the JSON document at ``doc_path``."""
    if _URL.match(href) or href.startswith("/"):
        return href
    if href.startswith("file://"):
        return href[len("file://"):]
    joined = posixpath.join(dirname(doc_path), href)
    for prefix in ("/vsizip/", "/vsitar/"):
        if joined.startswith(prefix):
            return prefix + "/" + posixpath.normpath(joined[len(prefix):].lstrip("/")).lstrip("/")
    return posixpath.normpath(joined)


def _try_load(path: str):
    try:
        return json.loads(read_bytes(path))
    except (InputError, ValueError):
        return None
    except RecursionError:  # nested too deeply: claimed, and to_items names the problem
        return {"type": "Feature"}


def _features(doc) -> list[dict]:
    if not isinstance(doc, dict):
        return []
    if doc.get("type") == "Feature":
        return [doc]
    if doc.get("type") == "FeatureCollection" and isinstance(doc.get("features"), list):
        return [f for f in doc["features"] if isinstance(f, dict)]
    return []


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else exc.__class__.__name__
