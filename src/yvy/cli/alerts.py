"""``yvy alerts``: list, show, review, export, audit and evidence packages of deforestation alerts."""

from __future__ import annotations

import json

import click

from ..i18n import N_
from ._alerting import alert_options, alert_store, alerts_from_product, print_alert_summary
from .options import bbox_opt, check_date, console, json_opt, store

__all__ = ["alert_store", "command", "query_from"]

STATUSES = ("new", "under_review", "confirmed", "dismissed", "referred")
LEGAL_WORDS = {"likely_illegal": N_("likely illegal"), "not_flagged": N_("not flagged"),
               "unknown_region": N_("unknown region")}
"""The words of an alert's legal flag in tables (the same as the web map's)."""


def _statuses(ctx, param, value):
    if not value:
        return None
    out = [s.strip() for v in value for s in v.split(",") if s.strip()]
    bad = [s for s in out if s not in STATUSES]
    if bad:
        raise click.BadParameter(f"{bad[0]!r} is not a status; use {', '.join(STATUSES)}")
    return tuple(out)


def filter_options(f):
    """The alert filters shared by ``list``, ``export`` and ``stats``."""
    opts = [
        click.option("--status", multiple=True, callback=_statuses,
                     help=f"Only these statuses (repeat or comma-separate): {', '.join(STATUSES)}."),
        click.option("--since", help="First detected on or after this ISO date."),
        click.option("--until", help="First detected on or before this ISO date."),
        click.option("--min-area", type=click.FloatRange(min=0), help="Minimum area in hectares."),
        click.option("--confidence", type=click.Choice(["low", "high"]), help="Only this confidence."),
        click.option("--in-protected-area/--outside-protected-area", "in_protected", default=None,
                     help="Only alerts touching (or not touching) a protected area."),
        click.option("--legal-flag", type=click.Choice(["likely_illegal", "not_flagged", "unknown_region"]),
                     help="Only alerts with this legal flag."),
        bbox_opt,
        click.option("--include-merged", is_flag=True, help="Also alerts merged into another one."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def query_from(kw: dict):
    """An :class:`~yvy.alerts.ports.AlertQuery` from the filter options."""
    from ..alerts.ports import AlertQuery

    return AlertQuery(
        status=kw.get("status"), since=check_date("--since", kw.get("since")),
        until=check_date("--until", kw.get("until")), min_area_ha=kw.get("min_area"),
        confidence=kw.get("confidence"), in_protected_area=kw.get("in_protected"),
        legal_flag=kw.get("legal_flag"), bbox=kw.get("bbox"), include_merged=bool(kw.get("include_merged")),
    )


@click.group(epilog="Example: yvy alerts list --status new --since 2024-01-01 --min-area 1")
def command() -> None:
    """List, review, export and document deforestation alerts."""


@command.command("list", epilog="Example: yvy alerts list --confidence high --in-protected-area --json")
@filter_options
@click.option("--limit", type=click.IntRange(min=1), help="At most this many alerts.")
@json_opt
@click.pass_context
def list_(ctx: click.Context, as_json: bool, limit: int | None, **kw) -> None:
    """List alerts (oldest first detection first)."""
    from dataclasses import replace

    from ..alerts.model import summary

    alerts = alert_store(ctx).find_alerts(replace(query_from(kw), limit=limit))
    rows = [summary(a) for a in alerts]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    from rich.table import Table

    from ..alerts._feed_text import CONFIDENCE_WORDS, STATUS_WORDS
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    _ = tr.gettext
    t = Table(title=tr.ngettext("{n} alert", "{n} alerts", len(rows)).format(n=len(rows)))
    t.add_column("id", no_wrap=True, min_width=14)
    for col in (N_("status"), N_("confidence"), N_("first detected"), "ha", N_("department"), N_("legal flag")):
        t.add_column(_(col), justify="right" if col == "ha" else "left", overflow="fold")
    for r in rows:
        t.add_row(r["id"], _(STATUS_WORDS.get(r["status"], r["status"])),
                  _(CONFIDENCE_WORDS.get(r["confidence"], r["confidence"])), r["first_detected"],
                  tr.number(r["area_ha"], 2), r["admin"] or "-",
                  _(LEGAL_WORDS.get(r["legal_flag"], r["legal_flag"] or "-")))
    console(ctx).print(t)


@command.command(epilog="Example: yvy alerts show PY-2024-000123 --json")
@click.argument("alert_id")
@json_opt
@click.pass_context
def show(ctx: click.Context, alert_id: str, as_json: bool) -> None:
    """Show one alert with its context, legal flag, reviews, merges and audit trail."""
    from ..alerts.model import to_feature

    s = alert_store(ctx)
    a = s.get_alert(alert_id)
    doc = to_feature(a)
    doc["reviews"] = s.reviews(alert_id)
    doc["merges"] = s.merges(alert_id)
    doc["audit"] = [{"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action, "payload": e.payload}
                    for e in s.iter_audit(alert_id)]
    from ..patrol.verify import drone_imagery_for

    doc["drone_imagery"] = drone_imagery_for(store(ctx), a)
    doc["field_reports"] = [{k: v for k, v in r.items() if k != "digest"} for r in s.field_reports(alert_id)]
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=1))
        return
    from ._help_i18n import cli_translator

    _print_alert(console(ctx), a, doc, cli_translator(ctx))


def _print_alert(con, a, doc, tr) -> None:
    from ..alerts._feed_text import CONFIDENCE_WORDS, STATUS_WORDS
    from ..field.reports import report_summary

    _ = tr.gettext
    ctx = a.context or {}
    status = _(STATUS_WORDS.get(a.status.value, a.status.value))
    con.print(f"[bold]{a.id}[/bold]  {status}  " + _("confidence {confidence}").format(
        confidence=_(CONFIDENCE_WORDS.get(a.confidence.value, a.confidence.value))))
    con.print("  " + _("area {area}, {pixels} px, magnitude {magnitude}").format(
        area=tr.area_ha(a.area_ha, 2), pixels=a.pixel_count,
        magnitude="-" if a.magnitude is None else tr.number(a.magnitude, 3)))
    con.print("  " + _("first detected {first} (last clear {clear}), last detected {last}, {n} confirming "
                       "observations, observed until {until}").format(
        first=a.first_detected, clear=a.last_clear, last=a.last_detected, n=a.confirm_count,
        until=a.observed_until))
    c = a.geometry.representative_point()
    con.print("  " + _("location {lat}, {lon} (lat, lon)").format(lat=tr.number(c.y, 5), lon=tr.number(c.x, 5)))
    admin = ", ".join(x["name"] for x in ctx.get("admin", [])) or "-"
    con.print("  " + _("department: {admin}; region: {region}").format(admin=admin,
                                                                         region=ctx.get("region") or "-"))
    for key, label in (("protected_areas", N_("protected areas")), ("indigenous_lands", N_("indigenous lands")),
                       ("permits", N_("permits"))):
        items = ctx.get(key) or []
        if items:
            con.print(f"  {_(label)}: " + ", ".join(f"{x['name']} ({tr.area_ha(x['ha'], 2)})" for x in items))
    if ctx.get("permits") is not None:
        con.print("  " + _("inside an approved permit: {answer}").format(
            answer=_("yes") if ctx.get("inside_permit") else _("no")))
    if ctx.get("border_km") is not None:
        con.print("  " + _("distance to the national border: {km} km").format(km=tr.number(ctx["border_km"], 1)))
    lg = a.legal or {}
    rule = f"({lg['rule']}: {lg.get('law') or ''})" if lg.get("rule") else ""
    flag = _(LEGAL_WORDS.get(lg.get("flag"), lg.get("flag") or "-"))
    con.print("  " + _("legal flag: {flag} {rule}").format(flag=flag, rule=rule).rstrip())
    if a.pchange is not None:
        con.print("  " + _("fused confirmation: {optical} optical + {radar} radar dates, Pchange {pchange}").format(
            optical=a.confirm_optical, radar=a.confirm_radar, pchange=tr.number(a.pchange, 3)))
    for d in doc.get("drone_imagery", []):
        con.print("  " + _("drone imagery: {item} ({when})").format(item=d["item"], when=d["datetime"]))
    if a.merged_into:
        con.print("  " + _("merged into {id}").format(id=a.merged_into))
    if a.merged_from:
        con.print("  " + _("merged from {ids}").format(ids=", ".join(a.merged_from)))
    for r in doc["reviews"]:
        case = (_(" {authority} case {case}").format(authority=r["authority"], case=r["case"])
                if r.get("authority") else "")
        con.print("  " + _("review {at} {by}: {old} -> {new} {reason} {note}{case}").format(
            at=r["at"], by=r["by"], old=_(STATUS_WORDS.get(r["from"], r["from"] or "-")),
            new=_(STATUS_WORDS.get(r["to"], r["to"])), reason=r.get("reason") or "", note=r.get("note") or "",
            case=case).rstrip())
    for r in doc.get("field_reports", []):
        con.print("  " + _("field report {summary}").format(summary=report_summary(r)))
    con.print("  " + _("audit entries: {n}").format(n=len(doc["audit"])))


@command.command(epilog="Example: yvy alerts review PY-2024-000123 --status dismissed --reason agriculture "
                        "--by 'A. Benítez' --note 'soy field, 2023 imagery'")
@click.argument("alert_id")
@click.option("--status", "status", required=True, type=click.Choice(STATUSES[1:]), help="New status.")
@click.option("--reason", help="Why. Dismissal needs one of: agriculture, silviculture, seasonality, "
                               "cloud_shadow, fire, water, other.")
@click.option("--by", "by", required=True, help="Reviewer's name (stored in the audit log).")
@click.option("--note", help="Free-text note.")
@click.option("--authority", help="Authority the case is referred to (status referred).")
@click.option("--case", "case", help="Case number at that authority (status referred).")
@json_opt
@click.pass_context
def review(ctx, alert_id, status, reason, by, note, authority, case, as_json) -> None:
    """Move an alert through new -> under_review -> confirmed | dismissed; confirmed -> referred.

    Confirming or dismissing a new alert records the under_review step first (as the web map does).
    """
    from ..alerts.review import review_alert

    a = review_alert(alert_store(ctx), alert_id, status, by=by, reason=reason, note=note,
                     authority=authority, case=case)
    if as_json:
        click.echo(json.dumps({"id": a.id, "status": a.status.value, "review": a.review}, ensure_ascii=False))
    else:
        from ..alerts._feed_text import STATUS_WORDS
        from ._help_i18n import cli_translator

        _ = cli_translator(ctx).gettext
        console(ctx).print(_("{id}: {status} (by {by})").format(
            id=a.id, status=_(STATUS_WORDS.get(a.status.value, a.status.value)), by=by))


@command.command(epilog="Example: yvy alerts export --format kml --status confirmed -o confirmed.kml")
@click.option("--format", "fmt", type=click.Choice(["geojson", "gpkg", "kml", "csv", "parquet"]),
              help="Output format (default: from the file suffix).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Output file.")
@filter_options
@click.pass_context
def export(ctx: click.Context, fmt: str | None, output: str, **kw) -> None:
    """Export alerts (GeoJSON, GeoPackage, KML, CSV or GeoParquet) with their attributes."""
    from ..alerts.export import export_alerts

    alerts = alert_store(ctx).find_alerts(query_from(kw))
    path = export_alerts(alerts, output, fmt)
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    console(ctx).print(tr.ngettext("{n} alert written to {path}", "{n} alerts written to {path}", len(alerts)).format(
        n=len(alerts), path=path))


@command.command(epilog="Example: yvy alerts audit --verify")
@click.option("--verify", is_flag=True, help="Check the hash chain, the signed checkpoints and that alert "
                                             "statuses match the chain.")
@click.option("--checkpoint", is_flag=True, help="Sign a checkpoint of the log's head (checkpoints/ in the "
                                                 "workspace) with the agency key.")
@click.option("--alert", "alert_id", help="Only show this alert's entries.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Entries to show.")
@json_opt
@click.pass_context
def audit(ctx: click.Context, verify: bool, checkpoint: bool, alert_id: str | None, limit: int,
          as_json: bool) -> None:
    """Show the audit log, verify it (exit 1 if it was tampered with) or sign a checkpoint of its head."""
    from ..alerts.audit import verify_chain
    from ..errors import ConflictError

    s = alert_store(ctx)
    if checkpoint:
        _checkpoint(ctx, s, as_json)
        return
    if verify:
        res = verify_chain(s.iter_audit())
        problems = [res.problem] if not res.ok else _status_mismatches(s)
        checked = 0 if problems else _verify_checkpoints(ctx, s, problems)
        out = {"ok": not problems, "entries": res.entries, "head": res.head, "checkpoints": checked,
               "problems": problems}
        if as_json:
            click.echo(json.dumps(out))
        if problems:
            raise ConflictError("audit log", f"TAMPERED: {problems[0]}")
        if not as_json:
            from ._help_i18n import cli_translator

            console(ctx).print(cli_translator(ctx).gettext(
                "audit log OK: {entries} entries, head {head}; extends {checked} signed checkpoint(s)").format(
                entries=res.entries, head=res.head, checked=checked))
        return
    entries = list(s.iter_audit(alert_id))[-limit:]
    if as_json:
        click.echo(json.dumps([e.__dict__ for e in entries], ensure_ascii=False, indent=1))
        return
    con = console(ctx)
    for e in entries:
        con.print(f"{e.seq:>6} {e.at} {e.actor:<12} {e.action:<8} {e.alert_id or '-'} "
                  f"{json.dumps(e.payload, ensure_ascii=False)[:100]} {e.hash[:12]}")


def _checkpoint(ctx, s, as_json: bool) -> None:
    from ..security.checkpoint import write_checkpoint
    from ..security.keys import load_signing_key
    from .keys import passphrase
    from .options import workspace

    home = workspace(ctx).home
    cp = write_checkpoint(home, s.iter_audit(), load_signing_key(home, passphrase()))
    if as_json:
        click.echo(json.dumps(cp.__dict__))
    else:
        from ._help_i18n import cli_translator

        console(ctx).print(cli_translator(ctx).gettext("checkpoint signed: {entries} entries, head {head} ({path})")
                           .format(entries=cp.seq, head=cp.head, path=cp.path))


def _verify_checkpoints(ctx, s, problems: list[str]) -> int:
    """Check the workspace's signed checkpoints (if it has keys); appends to ``problems``."""
    from ..security.checkpoint import read_checkpoints, verify_checkpoints
    from ..security.keys import KEYRING_FILE, load_keyring
    from ..security.signing import TamperedError
    from .options import workspace

    home = workspace(ctx).home
    if not (home / "keys" / KEYRING_FILE).exists():
        return 0
    try:
        return verify_checkpoints(s.iter_audit(), read_checkpoints(home, load_keyring(home)))
    except TamperedError as exc:
        problems.append(str(exc))
        return 0


def _status_mismatches(s) -> list[str]:
    """Alerts whose stored status differs from the one the audit log leads to."""
    from ..alerts.ports import AlertQuery

    expected: dict[str, str] = {}
    for e in s.iter_audit():
        if e.action == "created":
            expected[e.alert_id] = "new"
        elif e.action == "status":
            expected[e.alert_id] = e.payload.get("to")
    out = []
    for a in s.find_alerts(AlertQuery(include_merged=True)):
        want = expected.get(a.id)
        if want is None:
            out.append(f"{a.id}: alert has no 'created' entry in the audit log")
        elif want != a.status.value:
            out.append(f"{a.id}: status {a.status.value} but the audit log says {want}")
    return out


@command.command(epilog="Example: yvy alerts evidence PY-2024-000123 -o reports/PY-2024-000123")
@click.argument("alert_id")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--index", type=click.Choice(["ndvi", "nbr", "ndmi"]), default="ndvi", show_default=True,
              help="Index for the time-series plot.")
@click.option("--max-cloud", type=float, default=30.0, show_default=True,
              help="Largest scene cloud cover (%) for the before/after chips.")
@click.pass_context
def evidence(ctx: click.Context, alert_id: str, output: str, index: str, max_cloud: float) -> None:
    """Build an evidence package: chips, time-series plot, locator map, PDF and SHA-256 manifest.

    The PDF is written in the language of --lang (else the workspace's locale, else Spanish).
    """
    from ..alerts.evidence import build_evidence
    from ._help_i18n import cli_language, cli_translator
    from .keys import workspace_signer

    s = alert_store(ctx)
    signer = workspace_signer(ctx)  # load the key (and check its passphrase) before the work
    manifest = build_evidence(s, store(ctx), alert_id, output, index=index, max_cloud=max_cloud, signer=signer,
                              lang=cli_language(ctx))
    con = console(ctx)
    _ = cli_translator(ctx).gettext
    warning = "[yellow]" + _("warning:") + "[/yellow]"
    for f in manifest["files"]:
        con.print(f"  {f['sha256'][:16]}  {f['path']}")
    for w in manifest.get("warnings", []):
        con.print(f"{warning} {w}")
    if signer is None:
        con.print(f"{warning} " + _("manifest NOT signed: this workspace has no key (`yvy keys init`)"))
    con.print(_("evidence for {id} in {folder} ({n} files)").format(id=alert_id, folder=output,
                                                                    n=len(manifest["files"])))


@command.command(epilog="Example: yvy alerts update --product det-chaco-2024 --mmu 1 --min-loss 0.05")
@click.option("--product", "product_id", required=True, help="Id of a detection product (yvy-detections).")
@alert_options
@json_opt
@click.pass_context
def update(ctx, product_id, as_json, **alert_kw) -> None:
    """Create or update alerts from a stored detection product (what `yvy detect` does at its end)."""
    from ..change.product import DETECTIONS

    item = store(ctx).get_item(DETECTIONS, product_id)
    res = alerts_from_product(ctx, item, **alert_kw)
    if as_json:
        click.echo(json.dumps(res))
        return
    print_alert_summary(ctx, product_id, res)
