"""File helpers shared by every layer: atomic writes, checksums, safe raster opening.

Imports only the standard library, numpy and rasterio; nothing else from yvy but ``errors``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import CorruptRasterError, ProjectionError

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "sha256_file",
    "open_member",
    "split_vsi",
    "multihash_sha256",
    "sha256_of_multihash",
    "safe_name",
    "open_raster",
]


@functools.cache
def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike, suffix: str | None = None, *, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; on success it replaces ``dest`` atomically.

    On error the temporary file is removed and ``dest`` is left as it was. The file gets
    ``mode`` (default: what the process umask gives a new file, as ``open`` would; the temporary
    file itself is private until then).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{dest.name}.", suffix=suffix or "".join(dest.suffixes) or ".tmp", dir=dest.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.exists():
            os.chmod(tmp_path, mode if mode is not None else 0o666 & ~_umask())
        os.replace(tmp_path, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def atomic_write_bytes(dest: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``dest`` through a temporary file and ``os.replace``."""
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a local file, or of a member of a zip/tar archive given as a GDAL
    ``/vsizip/ARCHIVE/MEMBER`` or ``/vsitar/ARCHIVE/MEMBER`` path."""
    h = hashlib.sha256()
    with open_member(path) as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


@contextlib.contextmanager
def open_member(path: str | os.PathLike):
    """Open a local file, or a ``/vsizip/`` / ``/vsitar/`` archive member, for binary reading."""
    p = str(path)
    for prefix, kind in (("/vsizip/", "zip"), ("/vsitar/", "tar")):
        if p.startswith(prefix):
            archive, member = split_vsi(p)
            if kind == "zip":
                import zipfile

                with zipfile.ZipFile(archive) as zf, zf.open(member) as fh:
                    yield fh
            else:
                import tarfile

                with tarfile.open(archive) as tf:
                    fh = tf.extractfile(member)
                    if fh is None:
                        raise FileNotFoundError(p)
                    with fh:
                        yield fh
            return
    with open(p, "rb") as fh:
        yield fh


def split_vsi(path: str) -> tuple[str, str]:
    """Split ``/vsizip//a/b.zip/x/y.tif`` into (``/a/b.zip``, ``x/y.tif``)."""
    rest = path.split("/", 2)[2]  # drop '' and 'vsizip'
    rest = "/" + rest.lstrip("/")
    for ext in (".zip", ".tar.gz", ".tgz", ".tar"):
        i = rest.find(ext + "/")
        if i >= 0:
            return rest[: i + len(ext)], rest[i + len(ext) + 1 :]
    raise ValueError(f"{path}: not a /vsizip/ or /vsitar/ path with an archive member")


def safe_name(name: str, *, what: str = "name") -> str:
    """``name`` as one safe path component: letters, digits, ``.``, ``_``, ``-`` kept, anything
    else replaced by ``_``; never empty, ``.`` or ``..``, never hidden, at most 120 characters
    (a short hash of the original keeps two different names apart)."""
    clean = re.sub(r"[^A-Za-z0-9._-]", "_", str(name)).lstrip(".")[:100]
    if clean != str(name) or not clean:
        clean = f"{clean or what}-{hashlib.sha256(str(name).encode()).hexdigest()[:10]}"
    return clean


def multihash_sha256(hex_digest: str) -> str:
    """The STAC ``file:checksum`` form (multihash) of a hex SHA-256 digest."""
    return "1220" + hex_digest


def sha256_of_multihash(checksum: str) -> str | None:
    """The hex SHA-256 digest inside a ``file:checksum`` multihash; None when it is another hash."""
    c = str(checksum).lower()
    return c[4:] if c.startswith("1220") and len(c) == 68 else None


def open_raster(path: str | os.PathLike, *, require_crs: bool = True):
    """Open a raster with rasterio, turning library failures into one-line yvy errors.

    Parameters
    ----------
    path
        File path or GDAL VSI path.
    require_crs
        Raise :class:`~yvy.errors.ProjectionError` when the raster has no CRS or no
        georeferencing (identity transform and no GCPs).

    Returns
    -------
    rasterio.io.DatasetReader
        The open dataset; use it as a context manager.
    """
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        ds = rasterio.open(path)
    except RasterioIOError as exc:
        msg = str(exc).split("\n")[0]
        if "not recognized as being in a supported file format" in msg or "not recognised" in msg:
            raise CorruptRasterError(path, "not a readable raster (unknown format)") from exc
        if "No such file" in msg or "does not exist" in msg:
            raise CorruptRasterError(path, "file not found") from exc
        raise CorruptRasterError(path, f"unreadable raster ({_short(msg, str(path))})") from exc
    if require_crs:
        if ds.crs is None:
            ds.close()
            raise ProjectionError(path, "no CRS; the raster is not georeferenced")
        if ds.transform.is_identity and not ds.gcps[0]:
            ds.close()
            raise ProjectionError(path, "no georeferencing (identity geotransform)")
    return ds


def _short(msg: str, path: str) -> str:
    msg = msg.replace(path, "").strip(" :")
    return msg[:160]
