"""Photos of field reports: content-addressed files (``<sha256>.<ext>``) under the workspace's
``field/photos/`` with their EXIF position and time read by Pillow, and the distance from where a
photo (or the device) was to an alert's polygon, on the WGS84 ellipsoid (pyproj).

Must not import: yvy.storage, fastapi, click.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

from ..errors import InputError

__all__ = ["MEDIA_TYPES", "PhotoUpload", "distance_to_m", "photo_info", "photo_path"]

MEDIA_TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
"""Image formats a field photo may have: Pillow format -> (media type, file extension)."""
_GPS_IFD, _EXIF_IFD = 0x8825, 0x8769
_DATETIME_ORIGINAL, _DATETIME = 0x9003, 0x0132


def _ratio(v) -> float:
    return float(v[0]) / float(v[1]) if isinstance(v, tuple) else float(v)


def _dms(values, ref) -> float | None:
    try:
        d, m, s = (_ratio(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    deg = d + m / 60 + s / 3600
    return -deg if str(ref).upper() in ("S", "W") else deg


def _exif(img) -> dict:
    exif = img.getexif()
    gps = exif.get_ifd(_GPS_IFD)
    taken = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    lat = _dms(gps[2], gps.get(1, "N")) if 2 in gps else None
    lon = _dms(gps[4], gps.get(3, "E")) if 4 in gps else None
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        lat = lon = None
    return {"taken": str(taken).strip("\x00 ") if taken else None, "lon": lon, "lat": lat}


def _image_info(fp, name: str) -> dict:
    """Media type and EXIF position and time of the image in the binary file ``fp``."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(fp) as img:
            fmt = img.format
            img.verify()
        fp.seek(0)
        with Image.open(fp) as img:
            exif = _exif(img)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(name, f"not a readable image ({exc})") from None
    if fmt not in MEDIA_TYPES:
        raise InputError(name, f"{fmt} images are not accepted; send JPEG, PNG or WebP")
    return {"media_type": MEDIA_TYPES[fmt][0], **exif}


def photo_info(data: bytes, name: str = "photo") -> dict:
    """SHA-256, size, media type and EXIF GPS position and time of an image (InputError if not one)."""
    info = _image_info(io.BytesIO(data), name)
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), **info}


def photo_path(folder: str | os.PathLike, sha256: str, media_type: str) -> Path:
    """Where the photo with this SHA-256 lives under ``folder``."""
    ext = next(e for t, e in MEDIA_TYPES.values() if t == media_type)
    return Path(folder) / sha256[:2] / f"{sha256}.{ext}"


class PhotoUpload:
    """A photo received in pieces: each :meth:`write` goes to a temporary file under ``folder``
    and into its SHA-256 (the photo is never held in memory); :meth:`finish` checks it and moves
    it to :func:`photo_path` (a second copy is a no-op). Used as a context manager: the temporary
    file is gone on leaving, whatever happened."""

    def __init__(self, folder: str | os.PathLike):
        import tempfile

        self.folder = Path(folder)
        incoming = self.folder / ".incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        self._file = tempfile.NamedTemporaryFile(dir=incoming, prefix="upload-", delete=False)  # noqa: SIM115
        self._hash = hashlib.sha256()
        self.bytes = 0

    def write(self, chunk: bytes) -> None:
        """Append ``chunk``."""
        self._file.write(chunk)
        self._hash.update(chunk)
        self.bytes += len(chunk)

    def finish(self, expected_sha256: str | None = None) -> dict:
        """Store the photo; :func:`photo_info` with its ``path``. InputError (and nothing stored)
        when it is not an accepted image or its SHA-256 is not ``expected_sha256``."""
        self._file.flush()
        sha = self._hash.hexdigest()
        if expected_sha256 is not None and sha != expected_sha256.lower():
            raise InputError("photo", f"content has SHA-256 {sha}, not {expected_sha256}")
        with open(self._file.name, "rb") as fp:
            info = {"sha256": sha, "bytes": self.bytes, **_image_info(fp, "photo")}
        dest = photo_path(self.folder, sha, info["media_type"])
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self._file.name, dest)
        return {**info, "path": str(dest)}

    def __enter__(self) -> PhotoUpload:
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()
        Path(self._file.name).unlink(missing_ok=True)


def distance_to_m(geometry, lon: float | None, lat: float | None) -> float | None:
    """Geodesic distance in metres from (lon, lat) to the nearest point of a WGS84 geometry
    (0 inside it); None without a position."""
    if lon is None or lat is None:
        return None
    import pyproj
    import shapely
    from shapely.ops import nearest_points

    pt = shapely.Point(lon, lat)
    if geometry.covers(pt):
        return 0.0
    near = nearest_points(geometry, pt)[0]
    _, _, dist = pyproj.Geod(ellps="WGS84").inv(lon, lat, near.x, near.y)
    return round(float(dist), 1)
