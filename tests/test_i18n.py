"""The language layer: catalogs read with Babel, numbers as es_PY, the web catalog endpoint."""

import datetime as dt
import re

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


def test_every_marked_text_is_in_the_catalogs():
    """Babel's extractors over the Python, JS and HTML sources: Spanish has every text, Guaraní every
    text of the public map and feeds."""
    from yvy.i18n.extract import messages, missing

    found = messages()
    assert "Evidence report - deforestation alert {id}" in found  # Python (gettext)
    assert "{shown} of {total} alerts shown" in found  # JavaScript (t / tf)
    assert "Sign in" in found and "what you saw" in found  # HTML (data-i18n, data-i18n-placeholder)
    assert missing("es") == {}, "texts missing from the es catalog (python -m yvy.i18n.extract)"
    assert missing("gn") == {}, "public texts missing from the gn catalog (python -m yvy.i18n.extract)"


def test_html_extractor_reads_data_i18n(tmp_path):
    from yvy.i18n.extract import messages

    web = tmp_path / "web"
    web.mkdir()
    (web / "page.html").write_text('<p data-i18n>Hello  there</p><b data-i18n="Explicit id">x</b>'
                                   '<input data-i18n-placeholder placeholder="type here"><img data-i18n-alt="a map">',
                                   encoding="utf-8")
    (web / "page.js").write_text('el.textContent = t("From script"); const L = { a: N_("Marked") };\n'
                                 'x.replace(/^https?:\\/\\/[^\\/]+/, ""); t("After a regex");\n', encoding="utf-8")
    assert set(messages(tmp_path)) == {"Hello there", "Explicit id", "type here", "a map", "From script", "Marked",
                                       "After a regex"}


def test_atom_feed_in_the_readers_language(tmp_path):
    import xml.etree.ElementTree as ET

    from yvy.alerts import update_alerts
    from yvy.alerts.context import load_builtin
    from yvy.api.app import create_app
    from yvy.config import Workspace
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    from .alerts.conftest import CHACO, Patch, make_layers

    ws = Workspace.create(tmp_path / "ws")
    assert ws.locale == "es_PY"  # new workspaces say so in yvy.toml
    assert Workspace.create(tmp_path / "ws-en", locale="en").locale == "en"
    s = open_store(ws.database_url, create=True)
    a = SQLAlertStore(s)
    update_alerts(a, make_layers([Patch(slice(10, 50), slice(10, 50), confirm=6)], lonlat=CHACO))
    load_builtin(a, "paraguay")
    s.close()
    atom = "{http://www.w3.org/2005/Atom}"
    with TestClient(create_app(ws)) as client:
        fc = client.get("/features/collections/alerts/items", params={"lang": "gn"}).json()
        plain = client.get("/features/collections/alerts/items").json()
        es = ET.fromstring(client.get("/feeds/alerts.atom").content)
        gn = ET.fromstring(client.get("/feeds/alerts.atom", params={"lang": "gn"}).content)
        en = ET.fromstring(client.get("/feeds/alerts.atom", params={"lang": "en"}).content)
    (alert,) = a.find_alerts()
    area_es = translator("es").area_ha(alert.area_ha, 2)
    assert es.find(f"{atom}title").text.endswith("alertas de deforestación")
    summary = es.find(f"{atom}entry/{atom}summary").text
    assert summary.startswith(f"{area_es} de pérdida de bosque") and summary.endswith(", en Boquerón")
    assert "confianza alta, nueva" in summary
    assert gn.find(f"{atom}title").text.endswith("ka'aguy ñehundi rehegua marandu")
    assert "ka'aguy ñehundi" in gn.find(f"{atom}entry/{atom}summary").text
    assert "of forest loss first detected on" in en.find(f"{atom}entry/{atom}summary").text
    # the GeoJSON feed (OGC API Features) adds a title and summary on request
    props = fc["features"][0]["properties"]
    assert props["summary"] == gn.find(f"{atom}entry/{atom}summary").text and props["title"].startswith(alert.id)
    assert "summary" not in plain["features"][0]["properties"]


def test_help_of_every_command_is_in_spanish():
    """The whole command tree (every command, sub-command and option) and click's own texts."""
    from yvy.cli._help_i18n import click_messages, help_messages, missing_click, missing_help
    from yvy.cli.main import cli

    assert len(help_messages({"yvy": cli})) >= 4
    gaps = missing_help("es")
    assert gaps == {}, "help texts missing from the es catalog (python -m yvy.cli._help_i18n)"
    found = click_messages()
    assert "Usage:" in found and "No such option {name!r}." in found and "Show this message and exit." in found
    assert "Name '{name}' defined twice" not in found  # a programming error, never shown to a user
    assert missing_click("es") == {}, "click texts missing from the es catalog (python -m yvy.cli._help_i18n)"


def _command_paths():
    """Every command path of the CLI: ["alerts"], ["alerts", "list"], ..."""
    import importlib

    import click

    from yvy.cli.main import COMMANDS

    def walk(cmd, path):
        yield path
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                yield from walk(sub, [*path, name])

    for name, (module, _short) in COMMANDS.items():
        yield from walk(importlib.import_module(module).command, [name])


def test_every_help_page_speaks_spanish(monkeypatch):
    """``--help`` of the root and of every (sub-)command in Spanish: click's headings, the help option,
    the usage metavars and the option types too; in English the same pages keep click's words."""
    from click.testing import CliRunner

    from yvy.cli.main import cli

    monkeypatch.delenv("YVY_LANG", raising=False)
    run = CliRunner().invoke
    english = ("Usage:", "Options:", "Commands:", "Show this message and exit.", "[OPTIONS]", "COMMAND [ARGS]",
               "Example:")
    english_type = re.compile(r"--[\w-]+ (TEXT|INTEGER|FLOAT|FILE|DIRECTORY|PATH)\b")  # an option's value
    paths = [[], *_command_paths()]
    assert len(paths) > 70
    for path in paths:
        result = run(cli, ["--lang", "es", *path, "--help"], prog_name="yvy")
        assert result.exit_code == 0, (path, result.output)
        out = result.output
        assert out.startswith("Uso: yvy") and "Opciones:" in out and "Muestra este mensaje y sale." in out, path
        left = [w for w in english if w in out] + english_type.findall(out)
        assert left == [], f"yvy {' '.join(path)} --help: English left {left}"
    en = run(cli, ["--lang", "en", "alerts", "list", "--help"], prog_name="yvy").output
    assert en.startswith("Usage: yvy alerts list [OPTIONS]") and "Show this message and exit." in en
    assert "--min-area FLOAT RANGE" in en and "Example: yvy alerts list" in en
    es = run(cli, ["--lang", "es", "alerts", "list", "--help"]).output
    assert "--min-area DECIMAL" in es and "Ejemplo: yvy alerts list" in es


def test_click_errors_in_the_users_language(tmp_path):
    """The installed ``yvy`` program, as a user runs it: usage errors in Spanish by default and after
    ``--lang es`` (even when the error comes before ``--lang`` is read), English with ``--lang en``."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    yvy = Path(sys.executable).with_name("yvy")
    env = {k: v for k, v in os.environ.items() if k not in ("YVY_LANG", "YVY_HOME")}

    def run(*args):
        return subprocess.run([str(yvy), *args], capture_output=True, text=True, env=env, cwd=tmp_path)

    bad = run("alerts", "list", "--bogus")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.splitlines() == ["Uso: yvy alerts list [OPCIONES]",
                                       "Pruebe 'yvy alerts list --help' para ver la ayuda.", "",
                                       "Error: No existe la opción '--bogus'. ¿Quiso decir '--bbox'?"]
    value = run("--lang", "es", "alerts", "list", "--min-area", "x")
    assert "Error: Valor no válido para '--min-area': 'x' no es un número válido." in value.stderr
    first = run("--bogus", "--lang", "es")
    assert "Error: No existe la opción '--bogus'." in first.stderr and first.returncode == 2
    en = run("--lang", "en", "--bogus")
    assert "Error: No such option '--bogus'." in en.stderr and "Try 'yvy --help' for help." in en.stderr
    missing = run("--lang", "es", "restore")
    assert "Error: Falta el argumento 'BACKUP'." in missing.stderr, missing.stderr
    nocmd = run("--lang", "es", "nosuch")
    assert "Error: No existe el comando 'nosuch'." in nocmd.stderr
    assert run("--version").stdout.startswith("yvy, versión ") and run("--lang", "en", "--version").stdout.startswith(
        "yvy, version ")
    helped = run("--lang", "es", "--help")
    assert helped.returncode == 0 and "Comandos:" in helped.stdout and "Usage:" not in helped.stdout


def test_help_follows_lang_and_workspace_locale(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from yvy.cli.main import cli

    monkeypatch.delenv("YVY_LANG", raising=False)
    run = CliRunner().invoke
    es = run(cli, ["--lang", "es", "context", "add", "--help"]).output
    assert "Agrega una capa" in es and "Carga el contexto incluido en yvy" in es
    assert "Ejemplo: yvy context add --builtin paraguay" in es  # examples are commands: unchanged
    en = run(cli, ["--lang", "en", "context", "add", "--help"]).output
    assert "Add a layer" in en and "Agrega" not in en
    assert "Manage context layers (departments" in run(cli, ["--lang", "en", "--help"]).output
    assert "Administra capas de contexto" in run(cli, ["--lang", "es", "--help"]).output
    home = tmp_path / "ws"
    assert run(cli, ["--home", str(home), "init"]).exit_code == 0
    (home / "yvy.toml").write_text('version = 1\nlocale = "en"\n')
    assert "Add a layer" in run(cli, ["--home", str(home), "context", "add", "--help"]).output
    monkeypatch.setenv("YVY_LANG", "es")
    assert "Agrega una capa" in run(cli, ["--home", str(home), "context", "add", "--help"]).output


def test_accept_language_picks_a_catalog_language():
    from yvy.i18n import accept_language

    assert accept_language("es-PY,es;q=0.9,en;q=0.8") == "es"
    assert accept_language("en;q=0.5, gn") == "gn"
    assert accept_language("fr-FR, de;q=0.9") is None and accept_language(None) is None and accept_language("") is None
    assert accept_language("fr, en-GB;q=0.7, es;q=0.7") == "en"  # ties keep the header's order
    assert accept_language("es;q=0, en;q=0.1") == "en" and accept_language("es;q=bad, gn;q=0.2") == "gn"


def test_guarani_falls_back_to_spanish():
    """gn holds the public texts only; any other text is shown in Spanish, not English."""
    gn = translator("gn")
    assert gn.gettext("deforestation alerts") == "ka'aguy ñehundi rehegua marandu"  # its own
    assert "Usage:" not in catalog("gn") and gn.gettext("Usage:") == "Uso:"  # Spanish, not English
    assert gn.gettext("no such text anywhere") == "no such text anywhere"


def test_web_catalog_of_guarani_has_the_spanish_fallback(tmp_path):
    from yvy.api.app import create_app
    from yvy.config import Workspace
    from yvy.storage import open_store

    ws = Workspace.create(tmp_path / "ws")
    open_store(ws.database_url, create=True).close()
    with TestClient(create_app(ws)) as client:
        gn = client.get("/i18n/gn.json").json()["messages"]
    assert gn["deforestation alerts"] == catalog("gn")["deforestation alerts"]
    assert gn["Usage:"] == "Uso:"  # a staff-page or CLI text only Spanish has
