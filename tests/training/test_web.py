"""The training page in headless Chromium: a trainee completes an exercise (one answer wrong, one
polygon drawn) and sees the score; an instructor reads the class's results."""

from __future__ import annotations

import pytest

from ..api._build import Built, LiveServer, make_app
from .conftest import PASSWORDS


@pytest.fixture
def live_demo(fresh_demo):
    with LiveServer(make_app(Built(fresh_demo.workspace))) as srv:
        yield srv.url


def _truth(fresh_demo) -> dict:
    from yvy.storage import open_store
    from yvy.storage.training import SQLTrainingStore

    store = open_store(fresh_demo.workspace.database_url)
    try:
        return {c.id: c for c in SQLTrainingStore(store).get_exercise(fresh_demo.exercise_id).cases}
    finally:
        store.close()


def _sign_in(page, url, user, password):  # noqa: F811
    page.goto(url + "/training?lang=es", wait_until="load", timeout=30_000)
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    page.fill("#login-user", user)
    page.fill("#login-pass", password)
    page.click("#login-btn")
    page.wait_for_selector("#pick:not([hidden])", timeout=15_000)


def test_trainee_completes_an_exercise_and_instructor_reads_results(page, live_demo, fresh_demo):  # noqa: F811
    from playwright.sync_api import expect

    url, truth = live_demo, _truth(fresh_demo)
    outside, csp = [], []
    page.on("request", lambda r: None if r.url.startswith((url, "data:")) else outside.append(r.url))
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    _sign_in(page, url, "tom", PASSWORDS["tom"])
    assert page.locator("h1").inner_text().endswith("Simulador de entrenamiento")
    page.click("#ex-start")
    drawn = False
    seen = []
    for k in range(len(truth)):
        page.wait_for_selector("#case:not([hidden])", timeout=15_000)
        case = truth[page.locator("#case").get_attribute("data-case")]
        assert case.id not in seen, f"case {case.id} shown twice"
        seen.append(case.id)
        assert page.locator("#legal").inner_text().count("Boquerón") == 1
        wrong = k == 0
        confirm = (case.truth_decision == "confirm") != wrong
        page.check("#d-confirm" if confirm else "#d-dismiss")
        if confirm and not wrong and not drawn:  # draw this clearing's polygon by hand: four clicks
            page.click("#draw-btn")
            box = page.locator("#case-map").bounding_box()
            cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            for dx, dy in ((-40, -40), (40, -40), (40, 40), (-40, 40)):
                page.mouse.click(cx + dx, cy + dy)
            page.click("#draw-done")
            drawn = True
        if not confirm:
            page.select_option("#reason", "other" if wrong else case.truth_reason)
        page.select_option("#action", case.truth_action if not wrong else ("refer" if confirm else "none"))
        page.click("#answer-btn")
        expect(page.locator("#feedback")).to_be_visible(timeout=15_000)
        text = page.locator("#feedback").inner_text()
        assert text.startswith("Decisión equivocada." if wrong else "Correcto."), text
        page.click("#next-btn")
        if k + 1 < len(truth):  # the next case is on screen
            page.wait_for_function(f"document.getElementById('case').dataset.case !== '{case.id}'", timeout=15_000)
    page.wait_for_selector("body[data-done='1']", timeout=15_000)
    score = page.locator("#score-list").inner_text()
    assert f"{len(truth)} / {len(truth)}" in score and "92 %" in score  # 11 of 12 decisions right
    assert drawn
    pdf = page.request.get(url + page.locator("#cert-pdf").get_attribute("href"))
    assert pdf.ok and pdf.body()[:5] == b"%PDF-"
    rows = page.request.get(url + page.locator("#cert-csv").get_attribute("href")).text().splitlines()
    assert len(rows) == 1 + len(truth) and rows[0].startswith("trainee,exercise,case_id")
    assert outside == [], f"the page fetched from elsewhere: {outside[:5]}"
    assert csp == [], f"the page broke its Content-Security-Policy: {csp[:3]}"

    page.context.clear_cookies()
    _sign_in(page, url, "ines", PASSWORDS["ines"])
    page.click("#ex-results")
    row = page.locator("#results-table tbody tr").first
    expect(row).to_contain_text("tom", timeout=15_000)
    assert "92 %" in row.inner_text()
