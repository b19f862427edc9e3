"""Ingest from a STAC API: search with pystac-client, register the items, optionally download
their assets with retries and resumable transfers.

Downloads go to ``<download_dir>/<collection>/<item id>/<file>``; a partial file is kept as
``<file>.part`` and resumed with an HTTP Range request. The item is re-registered with local
hrefs (and ``file:checksum``) once all its assets are complete.

Everything a remote API sends is untrusted: asset hrefs must be ``http(s)`` URLs (relative ones
are resolved against the item's own URL; a local path or another scheme rejects the item), and
ids, collection ids and file names become path components only through :func:`safe_name`, so
no answer can write outside ``<download_dir>``.

Must not import: click, rich, yvy.cli.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urljoin, urlparse

from ..errors import InputError
from ..io import multihash_sha256, safe_name
from .formats.radar import annotate_radar_item
from .ingest import IngestReport, register_items
from .ports import CatalogStore

__all__ = ["download_asset", "ingest_stac_api", "safe_name", "search_stac_api"]

DATA_ROLES = {"data", "visual", "reflectance"}


def search_stac_api(url, collection, *, bbox=None, datetime=None, max_cloud=None, limit=None):
    """Search ``url`` and return (collection dict or None, list of item dicts)."""
    try:
        from pystac_client import Client
        from pystac_client.exceptions import APIError
    except ImportError as exc:  # pragma: no cover - base dependency
        raise InputError("stac_api", "pystac-client is not installed") from exc
    try:
        client = Client.open(url)
        kwargs = dict(collections=[collection], bbox=bbox, datetime=datetime, max_items=limit)
        if max_cloud is not None and client.conforms_to("QUERY"):
            kwargs["query"] = {"eo:cloud_cover": {"lte": max_cloud}}
        search = client.search(**{k: v for k, v in kwargs.items() if v is not None})
        items = []
        for it in search.items_as_dicts():
            cc = it.get("properties", {}).get("eo:cloud_cover")
            if max_cloud is not None and cc is not None and cc > max_cloud:
                continue
            items.append(it)
            if limit and len(items) >= limit:
                break
        try:
            coll = client.get_collection(collection).to_dict(include_self_link=False)
        except Exception:  # noqa: BLE001 - a missing collection document is not fatal
            coll = None
    except APIError as exc:
        raise InputError(url, f"STAC API error: {str(exc)[:200]}") from exc
    except Exception as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(url, f"cannot search STAC API ({type(exc).__name__}: {str(exc)[:200]})") from exc
    return coll, items


def ingest_stac_api(
    store: CatalogStore,
    url: str,
    collection: str,
    *,
    bbox=None,
    datetime: str | None = None,
    max_cloud: float | None = None,
    limit: int | None = None,
    download_dir: str | os.PathLike | None = None,
    asset_keys: Sequence[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    retries: int = 4,
) -> IngestReport:
    """Register (and optionally download) the items a STAC API search returns.

    Each item is stored in its own transaction, under its own collection id; the remote
    collection document is stored too. With ``download_dir`` the assets are fetched and the
    stored item points at the local copies.
    """
    coll, items = search_stac_api(url, collection, bbox=bbox, datetime=datetime,
                                  max_cloud=max_cloud, limit=limit)
    report = IngestReport()
    if coll is not None and not store.has_collection(coll["id"]):
        coll = {k: v for k, v in coll.items() if k != "links"} | {"links": []}
        store.upsert_collection(coll)
    for i, item in enumerate(items):
        item = dict(item)
        item.setdefault("collection", collection)
        # links back to the remote API would be wrong here; the store's own links replace them
        item["links"] = [ln for ln in item.get("links", [])
                         if ln.get("rel") not in ("self", "root", "parent", "collection")]
        item.setdefault("properties", {})["yvy:source"] = url
        item = annotate_radar_item(item)
        try:
            _check_remote_hrefs(item, url)
            if download_dir is not None:
                item = _download_item(item, Path(download_dir), asset_keys, retries, progress)
            register_items(store, [item], report=report)
        except InputError as exc:
            report.errors.append(str(exc))
        if progress:
            progress(i + 1, len(items), item["id"])
    return report


def _check_remote_hrefs(item: dict, api_url: str) -> None:
    """Resolve relative asset hrefs against the item's URL; reject local paths and odd schemes."""
    base = next((ln.get("href") for ln in item.get("links", []) if ln.get("rel") == "self"), None) or api_url
    for key, asset in (item.get("assets") or {}).items():
        href = str(asset.get("href", ""))
        scheme = urlparse(href).scheme.lower()
        if not scheme and not href.startswith("/") and href:
            href = urljoin(base, href)
            scheme = urlparse(href).scheme.lower()
            asset["href"] = href
        if scheme not in ("http", "https", "s3", "gs", "az", "abfs"):
            raise InputError(f"{api_url} item {str(item.get('id'))[:80]!r}",
                             f"asset {str(key)[:40]!r} has href {href[:80]!r}: a STAC API's assets must be URLs")


def _download_item(item: dict, root: Path, keys, retries: int, progress) -> dict:
    dest_dir = root / safe_name(item["collection"], what="collection") / safe_name(item["id"], what="item")
    if not dest_dir.resolve().is_relative_to(root.resolve()):  # pragma: no cover - safe_name forbids it
        raise InputError(str(item["id"])[:80], "download path leaves the download folder")
    for key, asset in item.get("assets", {}).items():
        roles = set(asset.get("roles") or ["data"])
        if keys is not None:
            if key not in keys:
                continue
        elif not roles & DATA_ROLES:
            continue
        href = asset["href"]
        if urlparse(href).scheme.lower() not in ("http", "https"):
            raise InputError(str(item["id"])[:80], f"asset {str(key)[:40]!r}: only http(s) assets can be downloaded")
        name = safe_name(Path(urlparse(href).path).name or key, what="asset")
        dest = dest_dir / name
        digest = download_asset(href, dest, retries=retries)
        asset["href"] = str(dest)
        asset["file:checksum"] = multihash_sha256(digest)
        asset["file:size"] = dest.stat().st_size
    return item


def download_asset(href: str, dest: Path, *, retries: int = 4, backoff: float = 0.5,
                   chunk: int = 1 << 20, timeout: float = 60) -> str:
    """Download ``href`` to ``dest`` (resuming ``dest.part``), retrying with backoff.

    Returns the hex SHA-256 of the file. A complete ``dest`` is not fetched again.
    """
    import requests

    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        return _sha256(dest)
    part = dest.with_name(dest.name + ".part")
    last_exc: Exception | None = None
    for attempt in range(retries + 1):
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with requests.get(href, headers=headers, stream=True, timeout=timeout) as r:
                if r.status_code == 416:  # already complete
                    break
                if r.status_code >= 400:
                    if r.status_code < 500 and r.status_code != 429:
                        raise InputError(href, f"download failed: HTTP {r.status_code}")
                    raise ConnectionError(f"HTTP {r.status_code}")
                mode = "ab" if have and r.status_code == 206 else "wb"
                expected = r.headers.get("Content-Length")
                written = 0
                with open(part, mode) as fh:
                    for block in r.iter_content(chunk):
                        fh.write(block)
                        written += len(block)
                if expected is not None and written < int(expected):
                    raise ConnectionError(f"short read ({written} of {expected} bytes)")
            break
        except InputError:
            raise
        except (OSError, ConnectionError, requests.RequestException) as exc:
            last_exc = exc
            if attempt == retries:
                raise InputError(href, f"download failed after {retries + 1} attempts ({exc})") from exc
            time.sleep(backoff * 2**attempt)
    else:  # pragma: no cover
        raise InputError(href, f"download failed ({last_exc})")
    os.replace(part, dest)
    return _sha256(dest)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()
