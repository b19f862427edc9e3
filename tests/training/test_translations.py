"""Every text of the training page and of the training domain (feedback, certificate) has its
Spanish translation in the catalog: a string missing from ``training.po`` fails here."""

from __future__ import annotations

import re
from pathlib import Path

from yvy.i18n import catalog

SRC = Path(__file__).resolve().parents[2] / "src" / "yvy"


def _web_texts() -> set[str]:
    html = (SRC / "web" / "training.html").read_text()
    js = (SRC / "web" / "training.js").read_text()
    ids = {m.group(2) or m.group(3).strip()
           for m in re.finditer(r'<(\w+)[^>]*\sdata-i18n(?:="([^"]*)")?[^>]*>([^<]*)<', html)}
    ids |= set(re.findall(r'data-i18n-(?:placeholder|alt|title)="([^"]+)"', html))
    ids |= set(re.findall(r'\bt\("([^"]+)"\)', js))
    return {i for i in ids if i}


def _python_texts() -> set[str]:
    from yvy.training.certificate import KIND_NAMES
    from yvy.training.score import ACTION_NAMES, EXPLAIN

    ids = set(EXPLAIN.values()) | set(ACTION_NAMES.values()) | set(KIND_NAMES.values())
    for name in ("score.py", "certificate.py"):
        text = (SRC / "training" / name).read_text()
        ids |= set(re.findall(r'\bt\("((?:[^"\\]|\\.)+)"\)', text))
    return ids


def test_every_training_text_is_in_spanish():
    es = catalog("es")
    web, py = _web_texts(), _python_texts()
    assert len(web) > 40 and len(py) > 20
    missing = sorted(t for t in web | py if t not in es)
    assert missing == [], f"missing from locale/es/LC_MESSAGES/training.po: {missing}"
    roles_and_regions = {"trainee", "analyst", "admin", "viewer", "western"}
    assert roles_and_regions <= set(es)
