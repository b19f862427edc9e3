"""XYZ tiles and TileJSON of scenes and detection products."""

from __future__ import annotations

import io

import morecantile
import numpy as np
import pytest

TMS = morecantile.tms.get("WebMercatorQuad")


def _png(content: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(content)).convert("RGBA"))


@pytest.fixture(scope="module")
def tile():
    return TMS.tile(-56.99, -22.615, 15)


def test_layers_and_tilejson(client, built):
    layers = {ln["name"] for ln in client.get(f"/tiles/sentinel-2-l2a/{built.scenes[0]}").json()["layers"]}
    assert {"truecolor", "falsecolor", "ndvi"} <= layers
    det = {ln["name"] for ln in client.get(f"/tiles/yvy-detections/{built.detection}").json()["layers"]}
    assert det == {"break_days", "magnitude"}
    r = client.get(f"/tiles/sentinel-2-l2a/{built.scenes[0]}/truecolor/tilejson.json")
    tj = r.json()
    assert tj["tilejson"] == "2.2.0" and tj["tiles"][0].endswith("/truecolor/{z}/{x}/{y}.png")
    assert "max-age" in r.headers["cache-control"]


@pytest.mark.parametrize("layer", ["truecolor", "falsecolor", "ndvi"])
def test_scene_tile_has_data(client, built, tile, layer):
    r = client.get(f"/tiles/sentinel-2-l2a/{built.scenes[-1]}/{layer}/{tile.z}/{tile.x}/{tile.y}.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    img = _png(r.content)
    assert img.shape == (256, 256, 4) and (img[..., 3] > 0).any()


def test_true_colour_shows_the_clearing(client, built, tile):
    """Bare soil is brighter in red than forest: the cleared scene's tile is redder."""
    url = "/tiles/sentinel-2-l2a/{}/truecolor/{}/{}/{}.png"
    before = _png(client.get(url.format(built.scenes[0], tile.z, tile.x, tile.y)).content)
    after = _png(client.get(url.format(built.scenes[-1], tile.z, tile.x, tile.y)).content)
    valid = (before[..., 3] > 0) & (after[..., 3] > 0)
    assert after[..., 0][valid].mean() > before[..., 0][valid].mean() + 5


def test_detection_tile_and_cache(client, built, tile):
    url = f"/tiles/yvy-detections/{built.detection}/break_days/{tile.z}/{tile.x}/{tile.y}.png"
    r = client.get(url)
    assert r.status_code == 200 and (_png(r.content)[..., 3] > 0).any()
    etag = r.headers["etag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_tile_outside_data_is_transparent(client, built):
    r = client.get(f"/tiles/sentinel-2-l2a/{built.scenes[0]}/truecolor/10/5/5.png")
    assert r.status_code == 200
    assert (_png(r.content)[..., 3] == 0).all()


def test_tile_errors(client, built):
    base = f"/tiles/sentinel-2-l2a/{built.scenes[0]}"
    assert client.get(f"{base}/nope/1/0/0.png").status_code == 404
    assert client.get(f"{base}/truecolor/1/5/0.png").status_code == 400
    assert client.get("/tiles/sentinel-2-l2a/missing/truecolor/1/0/0.png").status_code == 404
