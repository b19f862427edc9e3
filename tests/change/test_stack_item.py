"""A catalog time-stack item (``yvy:stack_dates``, asset ``data``) is a cube like ``--stack``."""

from __future__ import annotations

import numpy as np
import pyproj
import rasterio

from yvy.change.detect import DetectRequest, run_detection


def _item(path) -> dict:
    with rasterio.open(path) as ds:
        b = ds.bounds
        dates = list(ds.descriptions)
        crs = ds.crs.to_string()
    tr = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    xs, ys = tr.transform([b.left, b.right, b.right, b.left, b.left], [b.top, b.top, b.bottom, b.bottom, b.top])
    ring = [[x, y] for x, y in zip(xs, ys, strict=True)]
    return {
        "type": "Feature", "stac_version": "1.0.0", "id": "ndvi-stack", "collection": "geotiff",
        "geometry": {"type": "Polygon", "coordinates": [ring]}, "bbox": [min(xs), min(ys), max(xs), max(ys)],
        "properties": {"datetime": None, "start_datetime": dates[0] + "T00:00:00Z",
                       "end_datetime": dates[-1] + "T00:00:00Z", "yvy:stack_dates": dates,
                       "yvy:format": "geotiff"},
        "assets": {"data": {"href": str(path), "type": "image/tiff; application=geotiff", "roles": ["data"]}},
        "links": [],
    }


def test_stack_item_equals_stack_file(ws_store, small_stack):
    ws, store = ws_store
    item = _item(small_stack)
    store.upsert_collection({"type": "Collection", "id": "geotiff", "stac_version": "1.0.0",
                             "description": "stacks", "license": "proprietary", "links": [],
                             "extent": {"spatial": {"bbox": [[-180, -90, 180, 90]]},
                                        "temporal": {"interval": [[None, None]]}}})
    store.upsert_item(item)
    common = {"history_start": "2016-01-01", "monitor_start": "2019-01-01", "bbox": tuple(item["bbox"]), "chunk": 32}
    from_item = run_detection(store, ws, DetectRequest(**common))
    assert from_item["properties"]["yvy:inputs"]["items"] == ["ndvi-stack"]
    from_file = run_detection(store, ws, DetectRequest(stack=str(small_stack), **common))
    for k, a in from_item["assets"].items():
        np.testing.assert_array_equal(rasterio.open(a["href"]).read(),
                                      rasterio.open(from_file["assets"][k]["href"]).read(), err_msg=k)
    assert from_item["properties"]["yvy:summary"]["breaks"] > 50
