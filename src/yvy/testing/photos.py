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
                   colour=(40, 110, 50), noise: float = 0.0, quality: int = 85) -> bytes:
    """A JPEG whose EXIF says it was taken at (lon, lat) at ``taken`` (EXIF ``YYYY:MM:DD HH:MM:SS``):
    ``colour`` with Gaussian ``noise`` (standard deviation, in levels) for the texture that makes a
    camera's photo large (4000 x 3000 with noise 12 at quality 92: about 5 MB, a phone's photo)."""
    import numpy as np
    from PIL import Image

    exif = Image.Exif()
    exif[0x8825] = {1: "S" if lat < 0 else "N", 2: _dms(lat), 3: "W" if lon < 0 else "E", 4: _dms(lon)}
    exif[0x8769] = {0x9003: taken}
    if noise:
        rng = np.random.default_rng(0)
        pixels = np.asarray(colour, np.float32) + rng.normal(0, noise, (size[1], size[0], 3)).astype(np.float32)
        img = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    else:
        img = Image.new("RGB", size, colour)
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif, quality=quality)
    return buf.getvalue()
