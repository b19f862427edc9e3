"""yvy's own error lines and progress labels in the CLI's language: templates extracted from the raise
sites, the Spanish error catalog, and real CLI runs in Spanish (default) and English (--lang en)."""

import json
import textwrap

import pytest
from click.testing import CliRunner

from yvy.cli.main import cli
from yvy.i18n.errors import (
    catalog,
    error_messages,
    missing,
    placeholders,
    translate_message,
    unextractable,
)


def test_every_error_template_is_in_the_spanish_catalog():
    """Every error raised in yvy/ has its template (extracted, not listed by hand) translated, with the
    same placeholders; every raise site's message is extractable or marked as relayed."""
    found = error_messages()
    assert len(found) > 400
    assert "no such alert (see `yvy alerts list`)" in found  # NotFoundError, a literal
    assert "{value} is not LON,LAT" in found  # click.BadParameter, an f-string with {value!r}
    assert "{0} is not a status; use {1}" in found  # complex expressions: positional placeholders
    assert "no {kind} data for {pol} ({rel} missing); a GRD cannot be calibrated without it" in found  # E_()
    # a conditional part gives one template per branch
    assert "no scenes intersect the area of interest from {0} to {1}" in found
    assert "no scenes of collection {req.collection} intersect the area of interest from {0}" in found
    assert missing("es") == {}, "error templates missing from es/errors.po (python -m yvy.i18n.errors --update)"
    assert unextractable() == [], "raise sites whose message cannot be extracted (python -m yvy.i18n.errors)"
    es = catalog("es")
    wrong = {k: v for k, v in es.items() if sorted(set(placeholders(k))) != sorted(set(placeholders(v)))}
    assert wrong == {}, "translations whose placeholders differ from the template's"
    assert catalog("gn") == es  # Guaraní shows the Spanish error lines


def test_extractor_reads_the_raise_sites(tmp_path):
    (tmp_path / "errors.py").write_text("class YvyError(Exception): ...\nclass InputError(YvyError): ...\n")
    (tmp_path / "mod.py").write_text(textwrap.dedent('''\
        import click
        from .errors import E_, InputError

        class MyError(InputError):
            pass

        def f(path, n, x, items, problem):
            raise InputError(path, f"{n!r} bands, expected {x.want:d}")
            raise MyError(path, "plain "
                          "text, {not a placeholder}")
            raise InputError(path, f"has {len(items)} items" + (" (sorted)" if n else ""))
            raise click.UsageError("give --a or --b")
            raise InputError(problem=f"{items[0]}: {problem}")
            raise InputError(path, problem)
            raise InputError(path, problem)  # i18n: relayed

        def g(kind):
            return E_(f"{kind} missing")
        '''))
    found = error_messages(tmp_path)
    assert set(found) == {"{n} bands, expected {x.want}", "plain text, {{not a placeholder}}",
                          "has {0} items (sorted)", "has {0} items", "give --a or --b", "{kind} missing"}
    assert found["give --a or --b"] == ["mod.py:12"]
    assert unextractable(tmp_path) == ["mod.py:13", "mod.py:14"]  # "{0}: {problem}" would match anything


def test_templates_match_with_values_unchanged():
    # values with regex metacharacters and spaces pass through as they are
    value = "'a.*b (c)+ [d] $1 \\1'"
    assert translate_message(f"{value} is not LON,LAT", "es") == f"{value} no es LON,LAT"
    assert translate_message(f"{value} is not LON,LAT", "en") == f"{value} is not LON,LAT"
    assert translate_message(f"{value} is not LON,LAT", "gn") == f"{value} no es LON,LAT"
    # the most specific template wins ("{0} is not a status; use {1}" matches too)
    assert (translate_message("'x y' is not a status; use one of new, dismissed", "es")
            == "'x y' no es un estado; use uno de new, dismissed")
    assert (translate_message("'x y' is not a status; use new, dismissed", "es")
            == "'x y' no es un estado; use new, dismissed")
    # placeholders may move in the translation
    assert (translate_message("band 3 is not a CBERS-4 MUX band", "es") == "la banda 3 no es una banda MUX de CBERS-4")
    # a relayed "subject: problem" line; whitespace collapsed as YvyError does
    assert (translate_message("/data/x [1].tif: no such  file or\nfolder", "es")
            == "/data/x [1].tif: no existe ese archivo o carpeta")
    # an expression's value that is itself one of yvy's problems
    assert (translate_message("TAMPERED: entry 4 no longer has the hash signed on 2024-01-01 (the log was rewritten)",
                              "es")
            == "ADULTERADO: la entrada 4 ya no tiene el hash firmado el 2024-01-01 (el registro fue reescrito)")
    # a part marked with E_ where it is written ("optical scene", a FIRMS row's check) is translated too
    assert translate_message("optical scene not found", "es") == "no se encontró escena óptica"
    assert (translate_message("row 4: latitude out of range [-90, 90]: np.float64(-123.0); 1 bad row(s), nothing "
                              "ingested from this file", "es")
            == "fila 4: latitude fuera de rango [-90, 90]: np.float64(-123.0); 1 fila(s) incorrecta(s), no se ingirió "
               "nada de este archivo")
    # not one of yvy's texts: unchanged
    assert translate_message("something else entirely", "es") == "something else entirely"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.delenv("YVY_LANG", raising=False)
    monkeypatch.delenv("YVY_HOME", raising=False)
    home = tmp_path / "ws"
    assert CliRunner().invoke(cli, ["--home", str(home), "init"]).exit_code == 0
    return home


def _run(home, *args):
    r = CliRunner().invoke(cli, ["--home", str(home), *args])
    return r.exit_code, " ".join(r.output.split())


def test_cli_errors_in_spanish_by_default_and_english_with_lang_en(home, tmp_path):
    empty = tmp_path / "área [1]+(x).geojson"
    empty.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    detect = ["detect", "--monitor-start", "2024-01-01", "--history-start", "2020-01-01", "--out", str(tmp_path / "o")]
    cases = [  # args, exit code, Spanish line, English line
        (["ingest", str(tmp_path / "no such.tif")], 1,
         f"error: {tmp_path / 'no such.tif'}: no existe ese archivo o carpeta",
         f"error: {tmp_path / 'no such.tif'}: no such file or folder"),
        (["scenes", "--datetime", "2024-05-01/2024-01-01"], 1,
         "Error: --datetime: '2024-05-01/2024-01-01' termina antes de empezar",
         "Error: --datetime: '2024-05-01/2024-01-01' ends before it starts"),
        ([*detect, "--aoi", str(empty)], 1,
         f"Error: {empty}: el área de interés está vacía (ningún polígono con área)",
         f"Error: {empty}: the area of interest is empty (no polygon with an area)"),
        (["alerts", "show", "a-0 (x)"], 1,
         "Error: a-0 (x): no existe esa alerta (ver `yvy alerts list`)",
         "Error: a-0 (x): no such alert (see `yvy alerts list`)"),
        (["alerts", "list", "--bbox", "1,2,3"], 2,  # a usage error: click's frame and yvy's text
         "Error: Valor no válido para '--bbox': '1,2,3' no es un bounding box válido; use minx,miny,maxx,maxy "
         "(lon/lat)",
         "Error: Invalid value for '--bbox': '1,2,3' is not a valid bounding box; use minx,miny,maxx,maxy (lon/lat)"),
        (["scenes", "--datetime", "2024-01 (x)+[y].* $1"], 1,  # regex metacharacters and spaces in the value
         "Error: --datetime: '2024-01 (x)+[y].* $1' no es una fecha ISO (AAAA-MM-DD) ni una fecha-hora RFC 3339",
         "Error: --datetime: '2024-01 (x)+[y].* $1' is not an ISO date (YYYY-MM-DD) or RFC 3339 date-time"),
        (["users", "unlock"], 2, "Error: indique un USERNAME, --address o --list",  # click.UsageError
         "Error: give a USERNAME, --address, or --list"),
    ]
    for args, code, es, en in cases:
        got, out = _run(home, *args)
        assert (got, es in out) == (code, True), (args, out)
        got, out = _run(home, "--lang", "en", *args)
        assert (got, en in out) == (code, True), (args, out)
    # a subject in words is translated too
    from yvy.cli.main import translate_error
    from yvy.errors import ConflictError

    line = translate_error(ConflictError("audit log", "TAMPERED: entry 4 no longer has the hash signed on 2024-01-01 "
                                         "(the log was rewritten)"), cli, "es")
    assert line == ("registro de auditoría: ADULTERADO: la entrada 4 ya no tiene el hash firmado el 2024-01-01 "
                    "(el registro fue reescrito)")
    # the workspace's locale is the default language
    (home / "yvy.toml").write_text((home / "yvy.toml").read_text().replace('locale = "es_PY"', 'locale = "en"'))
    assert _run(home, "alerts", "show", "x")[1] == "Error: x: no such alert (see `yvy alerts list`)"
    spanish = _run(home, "--lang", "es", "alerts", "show", "x")[1]
    assert spanish == "Error: x: no existe esa alerta (ver `yvy alerts list`)"


def test_progress_labels_in_the_clis_language():
    """Descriptions and the domain's stage names through the catalog; values as they are."""
    from yvy.cli._help_i18n import speaking
    from yvy.cli.progress import _gettext, _label
    from yvy.i18n.extract import messages

    found = messages()
    assert "ingesting" in found and "storing events" in found and "cross-validation fold" in found
    with speaking("es"):
        gettext = _gettext()
        assert gettext("ingesting") == "ingiriendo"
        assert _label(gettext, "storing events") == "guardando incendios"
        assert _label(gettext, "cross-validation fold 3") == "pliegue de validación cruzada 3"
        assert _label(gettext, "/data/S2B 1.zip") == "/data/S2B 1.zip"
    with speaking("en"):
        assert _label(_gettext(), "storing events") == "storing events"
    assert _label(_gettext(), "storing events") == "storing events"  # outside the yvy program: English
