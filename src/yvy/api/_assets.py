"""Which asset files the server may read: only regular files under the workspace's ``assets/``
folder or a folder an admin registered (``yvy serve --asset-root``, ``YVY_ASSET_ROOTS``), after
resolving symbolic links; remote ``http(s)`` hrefs are never opened as local paths.

An item's asset href is untrusted: it comes from a file a user ingested or from a remote STAC
API. :class:`AssetPolicy` is the one place that turns an href into something the server may open
(``/assets`` downloads, tiles, chips and time series all go through :meth:`AssetPolicy.servable`).

Must not import: yvy.storage, click.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..io import split_vsi

__all__ = ["AssetPolicy", "AssetRefused"]

_REMOTE_SCHEMES = ("http", "https")
_ARCHIVE_VSI = ("/vsizip/", "/vsitar/", "/vsigzip/")


class AssetRefused(Exception):
    """An href the server must not open (outside the roots, not a regular file, odd scheme)."""

    def __init__(self, href: str, reason: str):
        super().__init__(f"{href[:200]}: {reason}")
        self.href, self.reason = href, reason


class AssetPolicy:
    """The folders local asset files may come from.

    Parameters
    ----------
    roots
        Folders whose regular files (after symbolic links are resolved) may be served.
    """

    def __init__(self, roots: Iterable[str | os.PathLike]):
        self.roots = tuple(dict.fromkeys(Path(os.path.realpath(r)) for r in roots))

    def is_remote(self, href: str) -> bool:
        """True for an ``http(s)://`` href (or GDAL's ``/vsicurl/`` form of one)."""
        if href.startswith("/vsicurl/"):
            href = href[len("/vsicurl/"):]
        return urlsplit(href).scheme.lower() in _REMOTE_SCHEMES

    def local_path(self, href: str) -> Path:
        """The resolved local file behind ``href``; :class:`AssetRefused` if it may not be read."""
        path = self._path_of(href)
        real = Path(os.path.realpath(path))
        if not any(real == r or real.is_relative_to(r) for r in self.roots):
            raise AssetRefused(href, "outside the folders this server serves")
        try:
            mode = os.stat(real).st_mode
        except OSError:
            raise AssetRefused(href, "no such file") from None
        if not stat.S_ISREG(mode):
            raise AssetRefused(href, "not a regular file")
        return real

    def servable(self, item: dict) -> dict:
        """A copy of ``item`` whose assets are only those the server may read.

        Local hrefs become resolved paths (archive members keep their ``/vsizip/`` form with the
        resolved archive); remote ``http(s)`` hrefs stay; every other asset is dropped.
        """
        assets = {}
        for key, asset in (item.get("assets") or {}).items():
            href = str(asset.get("href", ""))
            try:
                assets[key] = {**asset, "href": self.readable_href(href)}
            except AssetRefused:
                continue
        return {**item, "assets": assets}

    def readable_href(self, href: str) -> str:
        """``href`` in the form the server opens it with (see :meth:`servable`)."""
        if self.is_remote(href):
            return href
        for prefix in _ARCHIVE_VSI:
            if href.startswith(prefix):
                try:
                    archive, member = split_vsi(href) if prefix != "/vsigzip/" else (href[len(prefix):], "")
                except ValueError:
                    raise AssetRefused(href, "not an archive member path") from None
                if ".." in Path(member).parts:
                    raise AssetRefused(href, "archive member path leaves the archive")
                real = self.local_path(archive)
                return f"{prefix}{real}/{member}" if member else f"{prefix}{real}"
        return str(self.local_path(href))

    @staticmethod
    def _path_of(href: str) -> str:
        if href.startswith("/vsi"):
            raise AssetRefused(href, "GDAL virtual file systems other than archives are not served")
        parts = urlsplit(href)
        scheme = parts.scheme.lower()
        if scheme == "file":
            if parts.netloc not in ("", "localhost"):
                raise AssetRefused(href, "file URL on another host")
            return unquote(parts.path)
        if scheme and len(scheme) > 1:  # one letter: a Windows drive
            raise AssetRefused(href, f"the {scheme!r} scheme is not served")
        if not href:
            raise AssetRefused(href, "empty href")
        return href
