"""Register products in the catalog: expand inputs, let the format readers claim them, build
STAC Items, and store each scene in its own transaction.

Nothing here reads pixels. A bad product is reported with one line naming the file and
leaves the catalog as it was for that scene; the good ones are ingested.

Must not import: click, rich, yvy.cli.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import E_, InputError, YvyError
from .formats import IngestOptions, SceneGroup
from .items import link_collection
from .ports import CatalogStore

__all__ = ["IngestReport", "expand_inputs", "ingest_paths", "register_items", "ARCHIVE_SUFFIXES"]

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")
_SKIP_NAMES = {".DS_Store", "Thumbs.db"}


@dataclass
class IngestReport:
    """What an ingest run did."""

    created: list[str] = field(default_factory=list)
    """``collection/id`` of new items."""
    updated: list[str] = field(default_factory=list)
    """``collection/id`` of items that were already there (replaced in place)."""
    errors: list[str] = field(default_factory=list)
    """One line per bad input: ``path: problem``."""
    skipped: list[str] = field(default_factory=list)
    """Files found in folders that no reader recognised (side files)."""

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.errors

    def summary(self, tr=None) -> str:
        """One line: counts of ingested and failed inputs (in ``tr``'s language, a
        :class:`yvy.i18n.Translator`; English without one)."""
        _ = tr.gettext if tr is not None else str
        n = len(self.created) + len(self.updated)
        parts = [_("{n} item(s) ingested ({new} new, {updated} updated)").format(
            n=n, new=len(self.created), updated=len(self.updated))]
        parts.append(_("{n} failed").format(n=len(self.errors)))
        if self.skipped:
            parts.append(_("{n} side file(s) skipped").format(n=len(self.skipped)))
        return ", ".join(parts)


def _is_archive(path: str) -> bool:
    return path.lower().endswith(ARCHIVE_SUFFIXES)


def _archive_members(path: Path) -> list[str]:
    """GDAL VSI paths of the regular files in an archive (InputError if unreadable)."""
    apath = str(path.resolve())
    try:
        if apath.lower().endswith(".zip"):
            with zipfile.ZipFile(apath) as zf:
                bad = zf.testzip()
                if bad is not None:
                    raise InputError(path, f"corrupt archive member {bad}")
                names = [i.filename for i in zf.infolist() if not i.is_dir()]
            prefix = "/vsizip/"
        else:
            with tarfile.open(apath) as tf:
                names = [m.name for m in tf.getmembers() if m.isfile()]
            prefix = "/vsitar/"
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise InputError(path, f"unreadable archive ({type(exc).__name__}: {exc})") from exc
    return [f"{prefix}{apath}/{n.lstrip('./')}" for n in names if Path(n).name not in _SKIP_NAMES]


def expand_inputs(paths: Iterable[str | os.PathLike]) -> tuple[list[str], set[str], list[str]]:
    """Expand files, folders (recursively) and archives into candidate paths.

    Returns
    -------
    candidates
        Local file paths and ``/vsizip/`` / ``/vsitar/`` member paths, sorted.
    explicit
        The candidates the user named directly (an unrecognised one is an error).
    errors
        One line per input that does not exist or cannot be opened.
    """
    candidates: list[str] = []
    explicit: set[str] = set()
    errors: list[str] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            errors.append(str(InputError(raw, "no such file or folder")))
            continue
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if f.startswith(".") or f in _SKIP_NAMES:
                        continue
                    fp = os.path.join(root, f)
                    if problem := _unreadable(fp):
                        errors.append(str(InputError(fp, problem)))  # i18n: relayed
                        continue
                    if _is_archive(fp):
                        try:
                            candidates += _archive_members(Path(fp))
                        except InputError as exc:
                            errors.append(str(exc))
                    else:
                        candidates.append(str(Path(fp).resolve()))
        elif problem := _unreadable(str(p)):
            errors.append(str(InputError(raw, problem)))  # i18n: relayed
        elif _is_archive(str(p)):
            try:
                members = _archive_members(p)
            except InputError as exc:
                errors.append(str(exc))
                continue
            if not members:
                errors.append(str(InputError(raw, "empty archive")))
            candidates += members
            explicit.update(members[:1])
        else:
            fp = str(p.resolve())
            if _is_product_metadata(p.name):  # an MTL / MTD file stands for its whole folder
                candidates += [str(q.resolve()) for q in sorted(p.parent.iterdir()) if q.is_file()]
            candidates.append(fp)
            explicit.add(fp)
    return sorted(dict.fromkeys(candidates)), explicit, errors


def _unreadable(path: str) -> str | None:
    """Why ``path`` cannot be ingested before it is opened (a FIFO would block the reader
    forever; GDAL cannot open a name that is not UTF-8), or None."""
    import stat

    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return E_("file name is not valid UTF-8; rename the file")
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return E_(f"cannot read ({exc.strerror})")
    if not stat.S_ISREG(mode):
        return E_("not a regular file (a FIFO, socket or device); skipped")
    return None


def _is_product_metadata(name: str) -> bool:
    """Metadata files that describe a product made of the files beside them."""
    low = name.lower()
    return low.endswith(("_mtl.txt", "_mtl.xml", "_mtl.json")) or low in ("mtd_msil2a.xml",)


def ingest_paths(
    store: CatalogStore,
    paths: Sequence[str | os.PathLike],
    options: IngestOptions | None = None,
    *,
    copy_to: str | os.PathLike | None = None,
    strict: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
) -> IngestReport:
    """Ingest files, folders and archives into the catalog.

    Parameters
    ----------
    store
        The catalog store.
    paths
        Files, folders (walked recursively) and .zip/.tar archives.
    options
        Reader options (forced datetime, collection, drone, checksums).
    copy_to
        Copy assets under this folder (``<collection>/<item id>/``) and point the items there;
        by default assets are referenced in place.
    strict
        Stop at the first bad input (raise its error) instead of reporting and continuing.
    progress
        Called as ``progress(done, total, key)`` after each product.

    Returns
    -------
    IngestReport
    """
    options = options or IngestOptions()
    report = IngestReport()
    candidates, explicit, errors = expand_inputs(paths)
    for line in errors:
        _fail(report, line, strict)
    from .formats.registry import claim_all

    groups, leftover = claim_all(candidates)
    for path in leftover:
        if path in explicit:
            _fail(report, str(InputError(path, "unknown format: not a product yvy recognises")), strict)
        else:
            report.skipped.append(path)
    for i, group in enumerate(groups):
        try:
            items = _items_for(group, options)
            register_items(store, items, copy_to=copy_to, report=report)
        except YvyError as exc:
            _fail(report, str(exc), strict)
        if progress:
            progress(i + 1, len(groups), group.key)
    return report


def _fail(report: IngestReport, line: str, strict: bool) -> None:
    report.errors.append(line)
    if strict:
        raise InputError(None, line)  # i18n: relayed


def _items_for(group: SceneGroup, options: IngestOptions) -> list:
    from .formats.registry import FORMATS

    fmt = next(f for f in FORMATS if f.name == group.format)
    try:
        return fmt.to_items(group, options)
    except YvyError:
        raise
    except Exception as exc:  # a reader bug or library failure still names the product
        raise InputError(group.key, f"could not read product ({type(exc).__name__}: {exc})") from exc


def register_items(
    store: CatalogStore,
    items: Sequence,
    *,
    copy_to: str | os.PathLike | None = None,
    report: IngestReport | None = None,
) -> IngestReport:
    """Store pystac Items (or dicts), one transaction per product, creating collections.

    All items of one product are written in the same transaction, so a product is either
    fully catalogued or not at all.
    """
    report = report if report is not None else IngestReport()
    dicts = [link_collection(it if isinstance(it, dict) else it.to_dict(include_self_link=False)) for it in items]
    for d in dicts:
        _validate_item_dict(d)
    if copy_to is not None:
        dicts = [_copy_assets(d, Path(copy_to)) for d in dicts]
    with store.transaction():
        for d in dicts:
            coll = d.get("collection") or "geotiff"
            d["collection"] = coll
            if not store.has_collection(coll):
                store.upsert_collection(_collection_template(coll))
            new = store.upsert_item(d)
            (report.created if new else report.updated).append(f"{coll}/{d['id']}")
    return report


def _validate_item_dict(d: dict) -> None:
    for key in ("id", "geometry", "properties", "assets"):
        if key not in d:
            raise InputError(d.get("id", "item"), f"not a valid STAC Item: missing {key!r}")
    props = d["properties"]
    if props.get("datetime") is None and not (props.get("start_datetime") and props.get("end_datetime")):
        raise InputError(d["id"], "STAC Item has no datetime (nor start/end_datetime)")


def _collection_template(coll: str) -> dict:
    from .formats import collections

    return collections.collection_template(coll).to_dict(include_self_link=False)


def _copy_assets(item: dict, root: Path) -> dict:
    """Copy every local (or archive member) asset under ``root/<collection>/<id>/``."""
    from ..io import atomic_path, open_member, safe_name

    item = json.loads(json.dumps(item))
    collection = safe_name(item.get("collection") or "geotiff", what="collection")
    dest_dir = root / collection / safe_name(item["id"], what="item")
    for asset in item.get("assets", {}).values():
        href = asset.get("href", "")
        if "://" in href:
            continue
        dest = dest_dir / safe_name(Path(href).name, what="asset")
        for stale in dest_dir.glob(f".{dest.name}.*"):  # left by a copy that was killed
            stale.unlink(missing_ok=True)
        if not dest.exists():
            with open_member(href) as src, atomic_path(dest) as tmp, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
        asset["href"] = str(dest)
        asset.setdefault("roles", [])
    return item
