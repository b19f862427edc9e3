"""Image encoding of rendered layers with Pillow: PNG (lossless; with an alpha channel only where
some pixel is transparent) or, for imagery that covers the whole image, JPEG (what basemaps use:
a tenth of the bytes and a fraction of the CPU of PNG for imagery, without transparency).

Must not import: yvy.storage, click.
"""

from __future__ import annotations

import io

import numpy as np

__all__ = ["JPEG_QUALITY", "PNG_LEVEL", "encode_image"]

JPEG_QUALITY = 90
PNG_LEVEL = 1
"""zlib level of PNGs (imagery deflates little better at higher levels, and several times slower)."""


def encode_image(rgb: np.ndarray, mask: np.ndarray, *, lossy: bool = False) -> bytes:
    """``rgb`` (3, h, w uint8) with ``mask`` (h, w; True where valid) as JPEG when ``lossy`` and
    every pixel is valid, else PNG."""
    from PIL import Image

    opaque = bool(mask.all())
    hwc = np.ascontiguousarray(np.moveaxis(rgb, 0, -1))
    buf = io.BytesIO()
    if opaque and lossy:
        Image.fromarray(hwc, "RGB").save(buf, "JPEG", quality=JPEG_QUALITY)
    elif opaque:
        Image.fromarray(hwc, "RGB").save(buf, "PNG", compress_level=PNG_LEVEL)
    else:
        rgba = np.concatenate([hwc, (mask * 255).astype(np.uint8)[..., None]], axis=2)
        Image.fromarray(rgba, "RGBA").save(buf, "PNG", compress_level=PNG_LEVEL)
    return buf.getvalue()

