"""The web pages keep to the Content-Security-Policy: no inline styles or scripts in the HTML the
server sends (a browser would block them and the map would break)."""

from __future__ import annotations

import re

from yvy.api.web import WEB_DIR


def test_no_inline_styles_or_scripts():
    for page in WEB_DIR.glob("*.html"):
        html = page.read_text()
        assert not re.search(r"\sstyle\s*=", html), f"{page.name}: inline style attribute"
        assert not re.search(r"\son[a-z]+\s*=", html), f"{page.name}: inline event handler"
        for script in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S):
            assert "src=" in script[0] and not script[1].strip(), f"{page.name}: inline script"
