"""Geotagged test photos: JPEGs with EXIF GPS position and capture time, as a phone camera writes
them (Pillow). For tests and benchmarks of field reports."""

from __future__ import annotations

import io

__all__ = ["geotagged_jpeg"]


def _dms(value: float) -> tuple[float, float, float]:
    v = abs(value)
    d = int(v)
    m = int((v - d) * 60)
    return float(d), float(m), round((v - d - m / 60) * 3600, 4)


def geotagged_jpeg(lon: float, lat: float, taken: str = "2024:07:20 10:11:12", *, size=(320, 240),
                   colour=(40, 110, 50)) -> bytes:
    """A JPEG whose EXIF says it was taken at (lon, lat) at ``taken`` (EXIF ``YYYY:MM:DD HH:MM:SS``)."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x8825] = {1: "S" if lat < 0 else "N", 2: _dms(lat), 3: "W" if lon < 0 else "E", 4: _dms(lon)}
    exif[0x8769] = {0x9003: taken}
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "JPEG", exif=exif, quality=85)
    return buf.getvalue()
