"""Write an MBTiles 1.3 tileset: a SQLite database with ``metadata`` and ``tiles`` tables.

Tiles are addressed in the TMS scheme the specification uses (row 0 at the bottom), so the XYZ
row ``y`` is stored as ``2**z - 1 - y``. Imports only the standard library.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from ..io import atomic_path

__all__ = ["write_mbtiles", "read_tile"]


def write_mbtiles(dest: str | Path, tiles: Iterable[tuple[int, int, int, bytes]], *, name: str,
                  bounds: tuple[float, float, float, float], minzoom: int, maxzoom: int,
                  fmt: str = "png", description: str = "") -> int:
    """Write ``(z, x, y, data)`` XYZ tiles to an MBTiles file atomically; return the tile count."""
    n = 0
    with atomic_path(dest, suffix=".mbtiles") as tmp:
        con = sqlite3.connect(tmp)
        try:
            con.executescript(
                "CREATE TABLE metadata (name text, value text);"
                "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);"
                "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);")
            lon = (bounds[0] + bounds[2]) / 2
            lat = (bounds[1] + bounds[3]) / 2
            meta = {"name": name, "format": fmt, "type": "baselayer", "version": "1.0", "description": description,
                    "bounds": ",".join(f"{v:.6f}" for v in bounds), "center": f"{lon:.6f},{lat:.6f},{minzoom}",
                    "minzoom": str(minzoom), "maxzoom": str(maxzoom)}
            con.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
            for z, x, y, data in tiles:
                con.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (1 << z) - 1 - y, sqlite3.Binary(data)))
                n += 1
            con.commit()
        finally:
            con.close()
    return n


def read_tile(path: str | Path, z: int, x: int, y: int) -> bytes | None:
    """The data of XYZ tile (z, x, y) of an MBTiles file, or None."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                          (z, x, (1 << z) - 1 - y)).fetchone()
    finally:
        con.close()
    return None if row is None else bytes(row[0])
