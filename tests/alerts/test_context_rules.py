import geopandas as gpd
import pytest
import shapely

from yvy.alerts import update_alerts
from yvy.alerts.build import refresh_context
from yvy.alerts.context import annotate, read_layer
from yvy.alerts.rules import evaluate_rules, load_profile
from yvy.errors import ConflictError, InputError, ProjectionError

from .conftest import CHACO, ORIENTAL, Patch, make_layers

DEPARTMENTS = "vectors/paraguay_departments_ne10m.geojson"
BORDERS = "vectors/paraguay_international_borders_ne10m.geojson"


def _write(geoms, names, path, crs, driver=None):
    gdf = gpd.GeoDataFrame({"nombre": names}, geometry=geoms, crs="EPSG:4326").to_crs(crs)
    if str(path).endswith(".parquet"):
        gdf.to_parquet(path)
    else:
        gdf.to_file(path, driver=driver)
    return path


@pytest.fixture
def chaco(astore, data_file):
    astore.add_context_layer(read_layer(data_file(DEPARTMENTS), kind="admin", name_field="name"))
    astore.add_context_layer(read_layer(data_file(BORDERS), kind="border_zone", name_field="neighbour"))
    update_alerts(astore, make_layers([Patch(slice(10, 20), slice(10, 20))], lonlat=CHACO))
    return astore


def test_chaco_alert_outside_permit_flagged_with_admin_and_border(chaco):
    (a,) = chaco.find_alerts()
    assert [x["name"] for x in a.context["admin"]] == ["Boquerón"]
    assert a.context["region"] == "Occidental (Chaco)"
    assert a.context["admin"][0]["ha"] == pytest.approx(a.area_ha, rel=1e-6)
    assert 100 < a.context["border_km"] < 200  # Boquerón near -60.6/-22.3: ~150 km from Bolivia
    assert a.legal["flag"] == "likely_illegal" and a.legal["rule"] == "PY-CHACO-NO-PERMIT"
    assert a.legal["region"] == "chaco"


def test_permit_then_protected_area_in_other_formats_and_crs(chaco, tmp_path):
    (a,) = chaco.find_alerts()
    box = shapely.box(*a.geometry.bounds)
    permit = _write([box.buffer(0.001)], ["Permiso INFONA 12/2021"], tmp_path / "permits.shp", "EPSG:32720")
    chaco.add_context_layer(read_layer(permit, kind="permit", name_field="nombre"))
    refresh_context(chaco)
    (a,) = chaco.find_alerts()
    assert a.context["inside_permit"] and a.context["permits"][0]["name"] == "Permiso INFONA 12/2021"
    assert a.legal["flag"] == "not_flagged" and a.legal["rule"] is None
    minx, miny, maxx, maxy = a.geometry.bounds
    half = shapely.box(minx - 0.01, miny - 0.01, (minx + maxx) / 2, maxy + 0.01)
    pa = _write([half], ["Parque Nacional Médanos del Chaco"], tmp_path / "pa.gpkg", "EPSG:5373", "GPKG")
    chaco.add_context_layer(read_layer(pa, kind="protected_area", name_field="nombre"))
    land = _write([half], ["Comunidad Ayoreo"], tmp_path / "land.parquet", "EPSG:3857")
    chaco.add_context_layer(read_layer(land, kind="indigenous_land", name_field="nombre"))
    res = refresh_context(chaco)
    assert res == {"alerts": 1, "changed": 1}
    (a,) = chaco.find_alerts()
    (p,) = a.context["protected_areas"]
    assert p["ha"] == pytest.approx(a.area_ha / 2, rel=0.01)
    assert a.context["indigenous_lands"][0]["name"] == "Comunidad Ayoreo"
    assert a.legal["rule"] == "PY-PROTECTED-AREA"
    assert [e.action for e in chaco.iter_audit(a.id)] == ["created", "context", "context"]


def test_oriental_any_clearing_flagged(astore, data_file):
    astore.add_context_layer(read_layer(data_file(DEPARTMENTS), kind="admin", name_field="name"))
    update_alerts(astore, make_layers([Patch(slice(10, 20), slice(10, 20))], lonlat=ORIENTAL))
    (a,) = astore.find_alerts()
    assert a.legal["region"] == "oriental"
    assert a.legal["rule"] == "PY-ORIENTAL-ZERO-DEFORESTATION"
    # without a border_zone layer the distance comes from the outline of the admin units
    assert a.context["border_km"] > 0


def test_rules_unit():
    prof = load_profile("paraguay")
    east = {"region": "Oriental", "protected_areas": [], "inside_permit": True}
    assert evaluate_rules(prof, east, "2020-01-01")["rule"] == "PY-ORIENTAL-ZERO-DEFORESTATION"
    assert evaluate_rules(prof, east, "2003-06-01")["flag"] == "not_flagged"  # before Ley 2524/04
    west = {"region": "Occidental (Chaco)", "protected_areas": [], "inside_permit": False}
    assert evaluate_rules(prof, west, "2020-01-01")["rule"] == "PY-CHACO-NO-PERMIT"
    west_ok = {**west, "inside_permit": True}
    assert evaluate_rules(prof, west_ok, "2020-01-01")["flag"] == "not_flagged"
    west_pa = {**west_ok, "protected_areas": [{"name": "x", "ha": 1}]}
    assert evaluate_rules(prof, west_pa, "2020-01-01")["fired"] == ["PY-PROTECTED-AREA"]
    assert evaluate_rules(prof, {"region": None}, "2020-01-01")["flag"] == "unknown_region"


def test_custom_profile_and_bad_profiles(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text('[profile]\nname="X"\n[regions]\nnorth=["N"]\n[[rules]]\nid="R1"\nregion="north"\n'
                 'when=["in_indigenous_land"]\n')
    prof = load_profile(p)
    assert evaluate_rules(prof, {"region": "n", "indigenous_lands": [{"name": "a"}]}, "2020-01-01")["rule"] == "R1"
    p.write_text('[[rules]]\nid="R1"\nwhen=["full_moon"]\n')
    with pytest.raises(InputError, match="full_moon"):
        load_profile(p)
    with pytest.raises(InputError, match="paraguay"):
        load_profile("atlantis")


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_read_layer_errors(tmp_path, astore):
    nocrs = tmp_path / "nocrs.shp"
    gpd.GeoDataFrame({"n": ["a"]}, geometry=[shapely.box(0, 0, 1, 1)]).to_file(nocrs)
    with pytest.raises(ProjectionError, match="no CRS"):
        read_layer(nocrs, kind="permit")
    ok = _write([shapely.box(0, 0, 1, 1)], ["a"], tmp_path / "ok.geojson", "EPSG:4326")
    with pytest.raises(InputError, match="no field 'name'"):
        read_layer(ok, kind="permit", name_field="name")
    with pytest.raises(InputError, match="not a context kind"):
        read_layer(ok, kind="lake")
    (tmp_path / "junk.gpkg").write_bytes(b"not a geopackage")
    with pytest.raises(InputError, match="not a readable"):
        read_layer(tmp_path / "junk.gpkg", kind="permit")
    astore.add_context_layer(read_layer(ok, kind="permit", name_field="nombre"))
    with pytest.raises(ConflictError):
        astore.add_context_layer(read_layer(ok, kind="permit"))
    astore.add_context_layer(read_layer(ok, kind="custom"), replace=True)
    assert [(r["name"], r["kind"], r["features"]) for r in astore.list_context_layers()] == [("ok", "custom", 1)]
    assert len(astore.context_features(bbox=(0.5, 0.5, 2, 2))) == 1
    assert astore.context_features(bbox=(5, 5, 6, 6)) == []


def test_annotate_without_layers():
    ctx = annotate(shapely.box(0, 0, 0.01, 0.01), [])
    assert ctx["admin"] == [] and ctx["border_km"] is None and ctx["inside_permit"] is False
