"""The web map in headless Chromium in Spanish (the default) and in Guaraní (the language switch)."""

from __future__ import annotations

from yvy.i18n import catalog


def test_map_in_spanish_then_guarani(page, live_fresh):  # noqa: F811
    from playwright.sync_api import expect

    url, built = live_fresh
    es, gn = catalog("es"), catalog("gn")
    page.goto(url + "/", wait_until="load", timeout=30_000)
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    assert page.evaluate("document.documentElement.lang") == "es"
    assert page.locator("#lang").input_value() == "es"
    expect(page.locator("#login-btn")).to_have_text(es["Sign in"])
    expect(page.locator("#alert-count")).to_have_text("2 de 2 alertas mostradas")
    assert page.locator("#login-user").get_attribute("placeholder") == es["user"]
    assert page.title() == es["yvy: deforestation alerts"]
    # the server's refusal in the page's language (the page sends it as Accept-Language)
    page.fill("#login-user", "nadie")
    page.fill("#login-pass", "no-es-la-clave")
    page.click("#login-btn")
    expect(page.locator("#login-msg")).to_contain_text("nombre de usuario o contraseña incorrectos", timeout=10_000)

    page.select_option("#lang", "gn")
    page.wait_for_selector("body[data-lang='gn']", timeout=10_000)
    assert page.evaluate("document.documentElement.lang") == "gn"
    expect(page.locator("#login-btn")).to_have_text(gn["Sign in"])
    expect(page.locator("#alert-count")).to_have_text(
        gn["{shown} of {total} alerts shown"].format(shown=2, total=2), timeout=10_000)
    legend = page.locator("#legend").inner_text()
    assert gn["confirmed"] in legend and gn["under review"] in legend

    # an alert's panel in Guaraní; the choice is kept for the next visit
    page.locator("path.yvy-alert").first.click()
    page.wait_for_selector("#panel:not([hidden])", timeout=10_000)
    expect(page.locator("#a-attrs .v-status")).to_have_text(gn["new"], timeout=10_000)
    attrs = page.locator("#a-attrs").inner_text()
    assert gn["department"] in attrs and gn["law"] in attrs
    page.reload(wait_until="load")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    assert page.locator("#lang").input_value() == "gn"
    expect(page.locator("#login-btn")).to_have_text(gn["Sign in"])
