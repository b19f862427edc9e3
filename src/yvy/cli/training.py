"""``yvy training``: make training exercises, read a class's results, write certificates."""

from __future__ import annotations

import json

import click

from .options import bbox_opt, console, json_opt, store, workspace

__all__ = ["command"]


def _trainings(ctx):
    from ..storage.training import SQLTrainingStore

    return SQLTrainingStore(store(ctx))


@click.group(epilog="Example: yvy training create --title 'Chaco 1' --by ines && yvy training list")
def command() -> None:
    """Training simulator: exercises with known outcomes for analysts and forest police."""


@command.command(epilog="Example: yvy --home ./yvy-data training create --title 'Chaco 1' --cases 30 --by ines")
@click.option("--title", required=True, help="Name trainees see.")
@click.option("--by", "created_by", required=True, help="Instructor's user name.")
@click.option("--demo", "demo_dir", type=click.Path(file_okay=False), default=None,
              help="Demo folder with truth.geojson (default: the workspace's demo/).")
@click.option("--from-alerts", is_flag=True,
              help="Use past alerts analysts confirmed or dismissed instead of the demo's ground truth.")
@bbox_opt
@click.option("--cases", type=click.IntRange(4, 200), default=30, show_default=True, help="Number of cases.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Random seed (which traps, order).")
@json_opt
@click.pass_context
def create(ctx, title, created_by, demo_dir, from_alerts, bbox, cases, seed, as_json) -> None:
    """Make an exercise from the demo's ground truth: real clearings and traps (seasonal dips,
    cloud shadows, fires, clearings inside a permit), cut from the workspace's scenes; or, with
    --from-alerts, from past alerts analysts confirmed or dismissed (within --bbox if given)."""
    from ..alerts.ports import AlertQuery
    from ..storage.alerts import SQLAlertStore
    from ..storage.fires import SQLFireStore
    from ..training.service import create_alert_exercise, create_demo_exercise
    from .progress import progress_bar

    ws, s = workspace(ctx), store(ctx)
    alerts = SQLAlertStore(s)
    demo = demo_dir or ws.home / "demo"
    context = alerts.context_features(kinds=("admin", "protected_area"))
    with progress_bar("reading scenes", quiet=as_json or ctx.find_root().obj.get("quiet")) as bar:
        if from_alerts:
            ex = create_alert_exercise(s, alerts, _trainings(ctx), ws.assets / "training", title=title,
                                       created_by=created_by, n_cases=cases, seed=seed, bbox=bbox, context=context,
                                       progress=bar)
        else:
            ex = create_demo_exercise(
                s, _trainings(ctx), demo, ws.assets / "training", title=title, created_by=created_by,
                n_cases=cases, seed=seed, alerts=alerts.find_alerts(AlertQuery()),
                fire_events=SQLFireStore(s).find_events(), context=context, progress=bar)
    out = {"id": ex.id, "title": ex.title, "cases": len(ex.cases), "counts": ex.counts()}
    if as_json:
        click.echo(json.dumps(out, indent=1))
        return
    from ._help_i18n import cli_translator

    kinds = ", ".join(f"{n} {k}" for k, n in ex.counts().items() if n)
    console(ctx).print(cli_translator(ctx).gettext("exercise {id}: {n} cases ({kinds})").format(
        id=ex.id, n=len(ex.cases), kinds=kinds))


@command.command("list", epilog="Example: yvy training list --json")
@json_opt
@click.pass_context
def list_(ctx, as_json) -> None:
    """List exercises with their numbers of cases and sessions."""
    rows = _trainings(ctx).list_exercises()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    from rich.table import Table

    from ..i18n import N_
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    t = Table(title=tr.ngettext("{n} exercise", "{n} exercises", len(rows)).format(n=len(rows)))
    for col in ("id", N_("title"), N_("created"), N_("by"), N_("cases"), N_("sessions")):
        t.add_column(tr.gettext(col))
    for r in rows:
        t.add_row(r["id"], r["title"], r["created"], r["created_by"], str(r["cases"]), str(r["sessions"]))
    console(ctx).print(t)


def _fmt(tr, v, pct: bool = False) -> str:
    if v is None:
        return "-"
    return f"{tr.number(100 * v, 0)} %" if pct else tr.number(v, 2)


@command.command(epilog="Example: yvy training results EX-20240105-1a2b3c --json")
@click.argument("exercise_id")
@json_opt
@click.pass_context
def results(ctx, exercise_id, as_json) -> None:
    """The instructor's view of a class: every session of an exercise with its score."""
    from ..training.service import class_results

    res = class_results(_trainings(ctx), exercise_id)
    if as_json:
        click.echo(json.dumps(res, ensure_ascii=False, indent=1))
        return
    from rich.table import Table

    from ..i18n import N_
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    ex = res["exercise"]
    if ex.get("source") == "patrol":
        console(ctx).print(_patrol_table(res, tr))
        return
    t = Table(title=tr.gettext("{title} ({id}): {sessions} session(s), {cases} cases").format(
        title=ex["title"], id=ex["id"], sessions=len(res["sessions"]), cases=ex["cases"]))
    for col in (N_("session"), N_("trainee"), N_("answered"), N_("accuracy"), "kappa", N_("reason"), N_("action"),
                "IoU", N_("median s")):
        t.add_column(tr.gettext(col))
    for s in res["sessions"]:
        sc = s["score"]
        t.add_row(s["id"], s["trainee"], f"{sc['answered']}/{sc['cases']}", _fmt(tr, sc["accuracy"], True),
                  _fmt(tr, sc["kappa"]), _fmt(tr, sc["reason_accuracy"], True), _fmt(tr, sc["action_accuracy"], True),
                  _fmt(tr, sc["mean_iou"]), "-" if sc["median_seconds"] is None else tr.number(sc["median_seconds"], 0))
    console(ctx).print(t)


def _patrol_table(res: dict, tr):
    from rich.table import Table

    from ..i18n import N_

    ex = res["exercise"]
    t = Table(title=tr.gettext("{title} ({id}): {sessions} session(s), patrol exercise").format(
        title=ex["title"], id=ex["id"], sessions=len(res["sessions"])))
    for col in (N_("session"), N_("trainee"), N_("flight km"), N_("within range"), "ha", N_("share of the planner")):
        t.add_column(tr.gettext(col))
    for s in res["sessions"]:
        p = s["score"]["patrol"]
        cells = ("-",) * 4 if p is None else (tr.number(p["length_m"] / 1000, 1),
                                              tr.gettext("yes") if p["within_range"] else tr.gettext("no"),
                                              tr.number(p["value"], 1), _fmt(tr, p["ratio"], True))
        t.add_row(s["id"], s["trainee"], *cells)
    return t


@command.command(epilog="Example: yvy training certificate TS-4f2a9c01b2d3 -o ./certificates --lang es")
@click.argument("session_id")
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Folder to write to.")
@click.option("--lang", type=click.Choice(["es", "en", "gn"]), default="es", show_default=True,
              help="Language of the PDF.")
@json_opt
@click.pass_context
def certificate(ctx, session_id, out_dir, lang, as_json) -> None:
    """Write a trainee's certificate of one session: CSV of every answer and a PDF with the score."""
    from ..training.certificate import write_certificate
    from ..training.service import session_report

    report = session_report(_trainings(ctx), session_id)
    paths = write_certificate(report, out_dir, lang=lang)
    if as_json:
        click.echo(json.dumps({"score": report["score"], **{k: str(v) for k, v in paths.items()}}, indent=1))
        return
    from ._help_i18n import cli_translator

    console(ctx).print(cli_translator(ctx).gettext("certificate of {trainee}: {pdf} and {csv}").format(
        trainee=report["session"]["trainee"], pdf=paths["pdf"], csv=paths["csv"]))


def _lonlat(ctx, param, value):
    if value is None:
        return None
    try:
        lon, lat = (float(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not LON,LAT") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise click.BadParameter(f"{value!r} is not LON,LAT in degrees")
    return lon, lat


@command.command(epilog="Example: yvy training patrol --risk risk.tif --base -60.4,-22.0 --range-km 20 "
                        "--publish 'Patrulla 1' --by ines")
@click.option("--risk", "risk_path", type=click.Path(dir_okay=False, exists=True), required=True,
              help="Risk map (probability of loss per pixel, as `yvy risk map` writes).")
@click.option("--base", required=True, callback=_lonlat, help="Drone base as LON,LAT.")
@click.option("--range-km", type=click.FloatRange(min=0.5), default=20.0, show_default=True,
              help="Battery range of one flight (km).")
@click.option("--targets", type=click.IntRange(2, 100), default=20, show_default=True,
              help="Hot spots offered to the trainee.")
@click.option("-o", "--out", "out_path", type=click.Path(dir_okay=False), default=None,
              help="Exercise file to write (JSON).")
@click.option("--publish", "title", default=None,
              help="Store the exercise in the workspace under this title, for trainees to plan in the web map.")
@click.option("--by", "created_by", default=None, help="Instructor's user name (with --publish).")
@click.pass_context
def patrol(ctx, risk_path, base, range_km, targets, out_path, title, created_by) -> None:
    """Make a patrol exercise: hot spots of a risk map and the planner's flight over them."""
    from ..io import atomic_path
    from ..patrol.plan import Base
    from ..training.patrol import make_patrol_exercise
    from ..training.service import create_patrol_exercise

    if not out_path and not title:
        raise click.UsageError("give --out FILE, --publish TITLE, or both")
    if title and not created_by:
        raise click.UsageError("--publish needs --by (the instructor's user name)")
    ex = make_patrol_exercise(risk_path, Base("base", *base), range_km=range_km, targets=targets)
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    if out_path:
        with atomic_path(out_path) as tmp:
            tmp.write_text(json.dumps(ex, indent=1))
    where = out_path or ""
    if title:
        stored = create_patrol_exercise(_trainings(ctx), ex, title=title, created_by=created_by)
        where = f"{stored.id}" + (f" ({out_path})" if out_path else "")
    best = ex["planner"]
    console(ctx).print(tr.gettext(
        "patrol exercise {path}: {n} hot spots, range {range} km (the planner covers {ha} in {km} km)").format(
        path=where, n=len(ex["targets"]), range=tr.number(range_km, 1), ha=tr.area_ha(best["value"], 1),
        km=tr.number(best["length_m"] / 1000, 1)))


@command.command("patrol-score", epilog="Example: yvy training patrol-score patrol1.json --route R003,R001,R007")
@click.argument("exercise", type=click.Path(dir_okay=False, exists=True))
@click.option("--route", required=True, help="Target ids in flying order, comma-separated.")
@json_opt
@click.pass_context
def patrol_score(ctx, exercise, route, as_json) -> None:
    """Score a trainee's flight (ordered target ids) against the planner's."""
    from pathlib import Path

    from ..training.patrol import score_patrol

    res = score_patrol(json.loads(Path(exercise).read_text()), [r.strip() for r in route.split(",") if r.strip()])
    if as_json:
        click.echo(json.dumps(res, indent=1))
        return
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    verdict = tr.gettext("within range") if res["within_range"] else tr.gettext(
        "BEYOND THE BATTERY'S RANGE: scores 0")
    console(ctx).print(tr.gettext("{km} km, {verdict}; {ha} covered against the planner's {planner} ({pct} %)").format(
        km=tr.number(res["length_m"] / 1000, 1), verdict=verdict, ha=tr.area_ha(res["value"], 1),
        planner=tr.area_ha(res["planner_value"], 1), pct=tr.number(100 * res["ratio"], 0)))
