"""Legal rules per region, read from a TOML profile (Paraguay's ships as package data).

:func:`evaluate_rules` takes an alert's context overlay (from :mod:`yvy.alerts.context`) and its
first-detection date and returns the ``legal`` dict stored on the alert: ``flag``
(``likely_illegal``, ``not_flagged`` or ``unknown_region``), ``rule`` (the first rule that
fired), ``fired`` (all of them), ``region``, ``law``, ``article``, ``text`` (in the language of
the law: Spanish for Paraguay), ``quote`` (the article's words, when the profile gives them) and
``text_en``. Pure: standard library only.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import InputError

__all__ = ["CONDITIONS", "Profile", "Rule", "evaluate_rules", "load_profile"]

CONDITIONS = ("any", "in_protected_area", "outside_permit", "inside_permit", "in_indigenous_land")


@dataclass(frozen=True)
class Rule:
    """One legal rule: fires for alerts in ``region`` when every condition in ``when`` holds."""

    id: str
    region: str
    when: tuple[str, ...]
    flag: str = "likely_illegal"
    law: str = ""
    text: str = ""
    since: str | None = None
    until: str | None = None
    article: str = ""
    quote: str = ""
    text_en: str = ""


@dataclass(frozen=True)
class Profile:
    """A set of rules with the mapping from admin-layer region names to region ids."""

    name: str
    region_field: str
    regions: dict[str, tuple[str, ...]]
    rules: tuple[Rule, ...]
    source: str = ""

    def region_of(self, value: str | None) -> str | None:
        """Region id for an admin unit's region attribute (case-insensitive), or None."""
        if value is None:
            return None
        v = str(value).strip().casefold()
        for rid, names in self.regions.items():
            if v == rid.casefold() or v in (n.casefold() for n in names):
                return rid
        return None


def load_profile(name_or_path: str | Path = "paraguay") -> Profile:
    """A packaged profile by name (``paraguay``) or a TOML file path."""
    p = Path(name_or_path)
    if p.suffix == ".toml" and p.exists():
        text, source = p.read_text(encoding="utf-8"), str(p)
    else:
        res = resources.files("yvy.alerts") / "profiles" / f"{name_or_path}.toml"
        if not res.is_file():
            avail = sorted(r.name[:-5] for r in (resources.files("yvy.alerts") / "profiles").iterdir()
                           if r.name.endswith(".toml"))
            raise InputError("profile", f"{name_or_path!r} is neither a TOML file nor a packaged profile "
                                        f"({', '.join(avail)})")
        text, source = res.read_text(encoding="utf-8"), f"yvy:{name_or_path}"
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(source, f"not valid TOML ({exc})") from exc
    return _parse(doc, source)


def _parse(doc: dict, source: str) -> Profile:
    meta = doc.get("profile", {})
    regions = {k: tuple(v) for k, v in doc.get("regions", {}).items()}
    rules = []
    for i, r in enumerate(doc.get("rules", [])):
        rid = r.get("id") or f"rule-{i + 1}"
        when = tuple(r.get("when", ["any"]))
        bad = [c for c in when if c not in CONDITIONS]
        if bad:
            raise InputError(source, f"rule {rid}: unknown condition {bad[0]!r}; use {', '.join(CONDITIONS)}")
        region = r.get("region", "*")
        if region != "*" and region not in regions:
            raise InputError(source, f"rule {rid}: region {region!r} is not in [regions]")
        rules.append(Rule(rid, region, when, r.get("flag", "likely_illegal"), r.get("law", ""),
                          r.get("text", ""), r.get("since"), r.get("until"), r.get("article", ""),
                          r.get("quote", ""), r.get("text_en", "")))
    return Profile(meta.get("name", source), meta.get("region_field", "region"), regions, tuple(rules), source)


def _holds(cond: str, ctx: dict) -> bool:
    if cond == "any":
        return True
    if cond == "in_protected_area":
        return bool(ctx.get("protected_areas"))
    if cond == "in_indigenous_land":
        return bool(ctx.get("indigenous_lands"))
    if cond == "inside_permit":
        return bool(ctx.get("inside_permit"))
    if cond == "outside_permit":
        return not ctx.get("inside_permit")
    raise InputError("rule", f"unknown condition {cond!r}")


def evaluate_rules(profile: Profile, context: dict, first_detected: str) -> dict:
    """The ``legal`` dict for an alert with this context overlay and first-detection date."""
    region = profile.region_of(context.get("region"))
    fired = []
    for rule in profile.rules:
        if rule.region != "*" and rule.region != region:
            continue
        if rule.since and first_detected < rule.since:
            continue
        if rule.until and first_detected > rule.until:
            continue
        if all(_holds(c, context) for c in rule.when):
            fired.append(rule)
    if fired:
        first = fired[0]
        flag = first.flag
    else:
        first = None
        flag = "unknown_region" if region is None else "not_flagged"
    return {
        "profile": profile.name,
        "region": region,
        "flag": flag,
        "rule": first.id if first else None,
        "fired": [r.id for r in fired],
        "law": first.law if first else None,
        "text": first.text if first else None,
        "article": (first.article or None) if first else None,
        "quote": (first.quote or None) if first else None,
        "text_en": (first.text_en or None) if first else None,
    }
