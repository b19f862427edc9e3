"""The language layer: catalogs read with Babel, numbers as es_PY, the web catalog endpoint."""

import datetime as dt

from fastapi.testclient import TestClient

from yvy.i18n import LANGUAGES, catalog, language_of, translator


def test_locale_names_map_to_catalog_languages():
    assert language_of("es_PY") == "es"
    assert language_of("gn") == "gn"
    assert language_of("en-GB") == "en"
    assert language_of(None) == "es"
    assert language_of("fr_FR") == "es"


def test_numbers_and_dates_per_locale():
    assert translator("es_PY").area_ha(1234.5) == "1.234,5 ha"
    assert translator("gn").area_ha(1234.5) == "1.234,5 ha"  # no CLDR rules for gn: formatted as es_PY
    assert translator("en").area_ha(1234.5) == "1,234.5 ha"
    assert translator("en").date(dt.date(2024, 3, 5)) == "Mar 5, 2024"


def test_catalogs_load_and_english_is_the_id():
    for lang in LANGUAGES:
        assert isinstance(catalog(lang), dict)
    es = translator("es")
    assert es.gettext("deforestation alerts") == "alertas de deforestación"
    assert translator("en").gettext("deforestation alerts") == "deforestation alerts"


def test_web_catalog_endpoint(tmp_path):
    from yvy.api.app import create_app
    from yvy.config import Workspace
    from yvy.storage import open_store

    ws = Workspace.create(tmp_path / "ws")
    open_store(ws.database_url, create=True).close()
    with TestClient(create_app(ws)) as client:
        r = client.get("/i18n/es.json")
        assert r.status_code == 200
        assert r.json()["messages"]["deforestation alerts"] == "alertas de deforestación"
        assert client.get("/i18n/xx.json").status_code == 404
