"""The patrol exercise in the workspace: published with `yvy training patrol --publish`, shown to
trainees without the planner's flight, scored over HTTP against the planner, read by instructors;
and planned by clicking hot spots on the training page in headless Chromium."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ..api._build import Built, LiveServer, make_app
from .conftest import PASSWORDS
from .test_patrol import _base, risk  # noqa: F401 - the risk raster fixture


def _publish(fresh_demo, risk_path, tmp_path) -> tuple[str, dict]:  # noqa: F811
    from yvy.cli.main import cli

    b, out = _base(), tmp_path / "patrol.json"
    r = CliRunner().invoke(cli, ["--home", str(fresh_demo.workspace.home), "--lang", "en", "training", "patrol",
                                 "--risk", str(risk_path), "--base", f"{b.lon},{b.lat}", "--range-km", "20",
                                 "--targets", "9", "-o", str(out), "--publish", "Patrulla 1", "--by", "ines"])
    assert r.exit_code == 0, r.output
    ex_id = r.output.split("patrol exercise ")[1].split()[0]
    assert ex_id.startswith("EX-")
    return ex_id, json.loads(out.read_text())


def test_publish_needs_a_title_or_file(fresh_demo, risk):  # noqa: F811
    from yvy.cli.main import cli

    b = _base()
    args = ["--lang", "en", "--home", str(fresh_demo.workspace.home), "training", "patrol", "--risk", str(risk),
            "--base", f"{b.lon},{b.lat}"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2 and "--out FILE, --publish TITLE" in r.output
    r = CliRunner().invoke(cli, [*args, "--publish", "P"])
    assert r.exit_code == 2 and "--publish needs --by" in r.output


def test_patrol_over_http(tclient, fresh_demo, risk, tmp_path):  # noqa: F811
    ex_id, doc = _publish(fresh_demo, risk, tmp_path)
    tom, ines = tclient.as_user("tom"), tclient.as_user("ines")
    listed = {e["id"]: e for e in tclient.get("/api/training/exercises", headers=tom).json()}
    assert listed[ex_id]["source"] == "patrol" and listed[ex_id]["cases"] == 0
    ex = tclient.get(f"/api/training/exercises/{ex_id}", headers=tom).json()
    assert ex["source"] == "patrol" and ex["cases"] == []
    assert set(ex["patrol"]) == {"base", "range_m", "nofly", "targets"}  # no planner's flight before answering
    assert ex["patrol"]["targets"] == doc["targets"]

    sid = tclient.post(f"/api/training/exercises/{ex_id}/sessions", headers=tom).json()["session"]["id"]
    # a flight over every hot spot is far beyond the range: nothing scored
    too_long = tclient.post(f"/api/training/sessions/{sid}/patrol?lang=es", headers=tom,
                            json={"route": [t["id"] for t in doc["targets"]]})
    assert too_long.status_code == 200, too_long.text
    assert too_long.json()["result"]["within_range"] is False and too_long.json()["result"]["value"] == 0
    assert too_long.json()["feedback"].startswith("Fuera del alcance de la batería")
    again = tclient.post(f"/api/training/sessions/{sid}/patrol", headers=tom, json={"route": doc["planner"]["route"]})
    assert again.status_code == 409  # one flight per session

    # tia flies the planner's route: the ratio is 1 and the planner's flight comes back
    sid2 = tclient.post(f"/api/training/exercises/{ex_id}/sessions", headers=tclient.as_user("tia")).json()[
        "session"]["id"]
    best = tclient.post(f"/api/training/sessions/{sid2}/patrol?lang=es", headers=tclient.as_user("tia"),
                        json={"route": doc["planner"]["route"], "seconds": 42})
    body = best.json()
    assert body["result"]["ratio"] == pytest.approx(1.0) and body["planner"] == doc["planner"]
    assert "100 %" in body["feedback"] and body["feedback"].startswith("Su vuelo:")
    assert tclient.post(f"/api/training/sessions/{sid2}/patrol", headers=tom,
                        json={"route": doc["planner"]["route"]}).status_code == 404  # not tom's session
    bad = tclient.post(f"/api/training/sessions/{sid}/patrol", headers=tom, json={"route": []})
    assert bad.status_code in (400, 422)

    res = tclient.get(f"/api/training/exercises/{ex_id}/results", headers=ines).json()
    assert res["exercise"]["source"] == "patrol"
    by = {s["trainee"]: s["score"]["patrol"] for s in res["sessions"]}
    assert by["tom"]["ratio"] == 0 and by["tia"]["ratio"] == pytest.approx(1.0) and by["tia"]["seconds"] == 42
    assert tclient.get(f"/api/training/exercises/{ex_id}/results", headers=tom).status_code == 403
    from yvy.cli.main import cli

    out = CliRunner().invoke(cli, ["--home", str(fresh_demo.workspace.home), "--lang", "en", "training", "results",
                                   ex_id], terminal_width=200)
    assert out.exit_code == 0, out.output
    rows = {line.split("│")[2].strip(): line for line in out.output.splitlines() if line.count("│") > 5}
    assert "100 %" in rows["tia"] and "no" in rows["tom"] and "0 %" in rows["tom"]
    es = CliRunner().invoke(cli, ["--home", str(fresh_demo.workspace.home), "training", "results", ex_id],
                            terminal_width=200)
    assert es.exit_code == 0 and "km de vuelo" in es.output and "ejercicio de patrullaje" in es.output, es.output
    # a detection exercise's answer route does not accept a flight, and vice versa
    sid3 = tclient.post(f"/api/training/exercises/{fresh_demo.exercise_id}/sessions", headers=tom).json()[
        "session"]["id"]
    wrong = tclient.post(f"/api/training/sessions/{sid3}/patrol", headers=tom, json={"route": ["R001"]})
    assert wrong.status_code == 400 and "not a patrol exercise" in wrong.text


@pytest.fixture
def live(fresh_demo):
    with LiveServer(make_app(Built(fresh_demo.workspace))) as srv:
        yield srv.url


def test_trainee_plans_a_patrol_in_the_browser(page, live, fresh_demo, risk, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    from .test_web import _sign_in

    ex_id, doc = _publish(fresh_demo, risk, tmp_path)
    csp = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    _sign_in(page, live, "tom", PASSWORDS["tom"])
    page.select_option("#ex-select", ex_id)
    page.click("#ex-start")
    expect(page.locator("#patrol")).to_be_visible(timeout=15_000)
    page.wait_for_function("document.body.dataset.patrolTargets", timeout=15_000)
    assert json.loads(page.evaluate("document.body.dataset.patrolTargets")) == [t["id"] for t in doc["targets"]]
    spots = page.locator(".patrol-spot")
    assert spots.count() == len(doc["targets"])
    ids = [t["id"] for t in doc["targets"]]
    route = doc["planner"]["route"]
    for tid in [*route, route[-1]]:  # the last one twice: the second click takes it back ...
        spots.nth(ids.index(tid)).click()
    spots.nth(ids.index(route[-1])).click()  # ... and a third puts it back
    expect(page.locator("#patrol-route")).to_have_text(" → ".join(route))
    length_text = page.locator("#patrol-length").inner_text()  # "12,3 km": es_PY decimal comma
    km_shown = float(length_text.split()[0].replace(".", "").replace(",", "."))
    assert km_shown == pytest.approx(doc["planner"]["length_m"] / 1000, rel=0.02)  # haversine vs the planner
    page.click("#patrol-send")
    expect(page.locator("#patrol-feedback")).to_be_visible(timeout=15_000)
    assert page.locator("#patrol-feedback").inner_text().startswith("Su vuelo:")
    assert "100 %" in page.locator("#patrol-feedback").inner_text()
    expect(page.locator("#patrol-planner")).to_have_text(" → ".join(route))
    assert csp == [], f"the page broke its Content-Security-Policy: {csp[:3]}"

    page.context.clear_cookies()
    _sign_in(page, live, "ines", PASSWORDS["ines"])
    page.select_option("#ex-select", ex_id)
    page.click("#ex-results")
    row = page.locator("#results-table tbody tr").first
    expect(row).to_contain_text("tom", timeout=15_000)
    assert "100 %" in row.inner_text()
    assert "Parte del planificador" in page.locator("#results-table thead").inner_text()
