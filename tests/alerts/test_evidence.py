import hashlib
import json
from datetime import date, timedelta

import numpy as np
import pytest
from affine import Affine

from yvy.alerts import DetectionLayers, update_alerts
from yvy.alerts.evidence import build_evidence, find_band
from yvy.testing.scenes import s2_collection, write_s2_scene

BREAK = date(2021, 3, 1)


@pytest.fixture
def scenes(astore, tmp_path):
    """Twelve monthly S2 scenes over a 40x40 px (10 m) grid; the west half is cleared from March 2021."""
    cat = astore.store
    cat.upsert_collection(s2_collection())
    shape = (40, 40)
    for k in range(12):
        d = date(2020, 9, 5) + timedelta(days=30 * k)
        cleared = d >= BREAK
        nir = np.full(shape, 0.35)
        red = np.full(shape, 0.04)
        swir = np.full(shape, 0.12)
        if cleared:
            nir[:, :20], red[:, :20], swir[:, :20] = 0.22, 0.12, 0.28
        scl = np.full(shape, 4, np.uint8)
        if k == 7:
            scl[:] = 9  # a cloudy scene after the break must not be chosen
        item = write_s2_scene(tmp_path / "s2", d.isoformat(), {"red": red, "green": red * 1.2, "blue": red * 0.8,
                                                               "nir": nir, "swir16": swir}, scl=scl, shape=shape)
        cat.upsert_item(item)
    bd = np.full(shape, np.nan)
    bd[5:35, 2:18] = (BREAK - date(1970, 1, 1)).days
    layers = DetectionLayers("EPSG:32721", Affine(10, 0, 500000, 0, -10, 7300000), bd, np.full(shape, -0.3),
                             np.full(shape, 3), np.full(shape, float((BREAK - date(1970, 1, 1)).days - 30)), "det")
    update_alerts(astore, layers)
    return astore


def test_evidence_package(scenes, tmp_path):
    (alert,) = scenes.find_alerts()
    out = tmp_path / "ev"
    man = build_evidence(scenes, scenes.store, alert.id, out)
    names = {f["path"] for f in man["files"]}
    assert {"chip_before_true_colour.png", "chip_before_false_colour.png", "chip_after_true_colour.png",
            "chip_after_false_colour.png", "timeseries.png", "locator.png", "attributes.json", "alert.geojson",
            "custody.csv", "report.pdf"} <= names
    for f in man["files"]:
        assert hashlib.sha256((out / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"
    attrs = json.loads((out / "attributes.json").read_text())
    before, after = attrs["scenes"]["before"], attrs["scenes"]["after"]
    assert before["date"] < alert.first_detected <= after["date"]
    assert after["date"] == "2021-03-04"  # first clear scene after the break
    assert before["value"] > 0.7 and after["value"] < 0.4  # NDVI dropped
    assert attrs["audit"]["ok"] and attrs["audit"]["entries"][0]["action"] == "created"
    assert json.loads((out / "manifest.json").read_text())["audit_head"] == attrs["audit"]["head"]
    assert man["warnings"] == []


def test_evidence_without_imagery_still_documents(astore, tmp_path):
    from .conftest import Patch, make_layers

    update_alerts(astore, make_layers([Patch(slice(10, 20), slice(10, 20))]))
    (alert,) = astore.find_alerts()
    man = build_evidence(astore, astore.store, alert.id, tmp_path / "ev")
    assert {f["path"] for f in man["files"]} >= {"report.pdf", "locator.png", "timeseries.png", "attributes.json"}
    assert any("ninguna escena despejada anterior" in w for w in man["warnings"])  # Spanish by default
    man = build_evidence(astore, astore.store, alert.id, tmp_path / "ev-en", lang="en")
    assert any("no clear scene before" in w for w in man["warnings"])


def test_find_band_by_common_name_and_key():
    item = {"assets": {"B04": {"href": "r.tif", "eo:bands": [{"common_name": "red"}],
                               "raster:bands": [{"scale": 1e-4, "offset": -0.1, "nodata": 0}]},
                       "nir": {"href": "n.tif"}}}
    r = find_band(item, "red")
    assert (r.href, r.scale, r.offset, r.nodata) == ("r.tif", 1e-4, -0.1, 0)
    assert find_band(item, "nir").href == "n.tif"
    assert find_band(item, "swir16") is None


def test_chips_share_one_percentile_stretch(scenes, tmp_path):
    """Before and after are shown on the same limits: the forest is not black, the clearing is brighter."""
    from PIL import Image

    (alert,) = scenes.find_alerts()
    build_evidence(scenes, scenes.store, alert.id, tmp_path / "ev")
    before = np.asarray(Image.open(tmp_path / "ev" / "chip_before_true_colour.png").convert("L"), float)
    after = np.asarray(Image.open(tmp_path / "ev" / "chip_after_true_colour.png").convert("L"), float)
    # the chips' image areas (the middle of the figure) differ where the west half was cleared
    h, w = before.shape
    core = (slice(h // 4, 3 * h // 4), slice(w // 8, 7 * w // 8))
    assert before[core].mean() > 40  # not a black "before"
    assert after[core].mean() > before[core].mean() + 10


def test_custody_lists_every_scene_with_its_checksums(scenes, tmp_path):
    """The catalog's recorded checksums (STAC file:checksum multihash) are copied, never invented."""
    import csv

    cat = scenes.store
    items = sorted(cat.search_items(), key=lambda it: it["id"])
    for it in items[1:]:  # the first scene keeps no recorded checksum
        for a in it["assets"].values():
            a["file:checksum"] = "1220" + hashlib.sha256(open(a["href"], "rb").read()).hexdigest()
        cat.upsert_item(it)
    (alert,) = scenes.find_alerts()
    build_evidence(scenes, cat, alert.id, tmp_path / "ev")
    rows = list(csv.DictReader((tmp_path / "ev" / "custody.csv").open()))
    by_id = {it["id"]: it for it in items}
    assert {r["scene_id"] for r in rows} == set(by_id)
    for r in rows:
        asset = next(a for a in by_id[r["scene_id"]]["assets"].values()
                     if (a.get("eo:bands") or [{}])[0].get("common_name") == r["band"])
        digest = hashlib.sha256(open(asset["href"], "rb").read()).hexdigest()
        expected = "" if r["scene_id"] == items[0]["id"] else digest
        assert r["sha256"] == expected
        assert r["ingested"].endswith("Z")


def test_coordinates_in_words_latlon_dms_and_utm():
    from pyproj import Transformer
    from shapely.geometry import Point

    from yvy.alerts._evidence_report import coordinates
    from yvy.i18n import translator

    p = Point(-60.402350, -22.001665).buffer(1e-4)  # Boquerón: UTM zone 20, band K, southern hemisphere
    c = coordinates(p, translator("es"))
    rp = p.representative_point()
    e, n = Transformer.from_crs("EPSG:4326", "EPSG:32720", always_xy=True).transform(rp.x, rp.y)
    assert (c["utm_crs"], c["utm_zone"]) == ("EPSG:32720", "20K")
    assert abs(c["easting"] - e) < 0.1 and abs(c["northing"] - n) < 0.1
    assert c["utm_text"].startswith("zona 20K, E 768.") and "N 7.564." in c["utm_text"]
    assert c["dms_text"].startswith("22° 00' 0") and c["dms_text"].endswith('" O')  # oeste, decimal comma
    en = coordinates(p, translator("en"))
    assert en["dms_text"].endswith('" W') and en["latlon_text"].startswith("-22.0016")


def test_report_keeps_unicode_text(tmp_path):
    """Names outside Latin-1 (Guaraní, dashes) reach the PDF as written, not as '?'."""
    from pypdf import PdfReader

    from yvy._pdf import Report

    rep = Report("Tekoha Ñu Guasu – Avañe'ẽ", "2024-05-01")
    rep.paragraph("Comunidad Ypa’ũ: 12,5 ha ≥ 1 ha")
    rep.save(tmp_path / "r.pdf")
    text = " ".join(PdfReader(tmp_path / "r.pdf").pages[0].extract_text().split())
    assert "Tekoha Ñu Guasu – Avañe'ẽ" in text and "Ypa’ũ: 12,5 ha ≥ 1 ha" in text
