"""``yvy risk``: fit a deforestation risk model, map it, evaluate it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .options import console, json_opt
from .progress import progress_bar

__all__ = ["command"]


def _quiet(ctx) -> bool:
    return bool(ctx.find_root().obj.get("quiet"))


def _cache(ctx, out: Path) -> Path:
    """Where distance rasters of vector covariates are cached: the workspace, else beside OUT."""
    ws = _workspace_or_none(ctx)
    return Path(ws.assets) / "risk" / "_cache" if ws else out.parent / ".yvy-risk-cache"


def _workspace_or_none(ctx):
    from ..config import Workspace
    from ..errors import WorkspaceError

    try:
        return Workspace.open(ctx.find_root().obj.get("home"))
    except WorkspaceError:
        return None


def _workspace_layers(ctx, covariates, cache: Path) -> list[str]:
    """Replace 'alerts' and 'context:LAYER' by GeoJSON files of the workspace's features (WGS84)."""
    from ..errors import InputError

    out = []
    for c in covariates:
        if c != "alerts" and not c.startswith("context:"):
            out.append(c)
            continue
        if _workspace_or_none(ctx) is None:
            raise InputError(c, "needs a workspace (--home, $YVY_HOME or ./yvy-data)")
        from shapely.geometry import mapping

        from .alerts import alert_store

        s = alert_store(ctx)
        if c == "alerts":
            from ..alerts.ports import AlertQuery

            geoms = [a.geometry for a in s.find_alerts(AlertQuery(status=("confirmed", "referred")))]
            geoms += [a.geometry for a in s.find_alerts(AlertQuery(confidence="high", status=("new", "under_review")))]
            name = "alerts"
        else:
            name = c.split(":", 1)[1]
            geoms = [f.geometry for f in s.context_features() if f.layer == name]
        if not geoms:
            raise InputError(c, "no features in the workspace")
        fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                                         "geometry": mapping(g)} for g in geoms]}
        from ..io import atomic_write_bytes

        path = cache / f"{name}.geojson"
        atomic_write_bytes(path, json.dumps(fc).encode())
        out.append(str(path))
    return out


@click.group(epilog="Example: yvy risk fit --fcc fcc.tif --covariates dist_edge.tif roads.shp --out risk.joblib")
def command() -> None:
    """Deforestation risk: probability that a forest pixel is cleared in the next period."""


def _covariate_args(fn):
    fn = click.option("--covariates", "covariates", required=True, multiple=True,
                      help="Covariate files: rasters (any grid, resampled) and vector layers "
                           "(distance and inside rasters); in a workspace also 'alerts' (confirmed or "
                           "high-confidence alerts: past loss) and 'context:LAYER'. Repeat, or list "
                           "several after one flag.")(fn)
    fn = click.option("--fcc", required=True, type=click.Path(exists=True, dir_okay=False),
                      help="Forest cover change raster: 1 stayed, 0 lost, 255 no data (model grid).")(fn)
    return fn


class _Many(click.Command):
    """Lets ``--covariates a.tif b.tif c.shp`` take every value until the next option."""

    def parse_args(self, ctx, args):
        out, take = [], False
        for a in args:
            if a == "--covariates":
                take = True
                continue
            if a.startswith("-"):
                take = False
            out.extend(["--covariates", a] if take else [a])
        return super().parse_args(ctx, out)


@command.command(cls=_Many, epilog="Example: yvy risk fit --fcc fcc23.tif --covariates dist_edge.tif "
                                   "dist_defor.tif roads_PROJ.shp pa_PROJ.shp --out glp.joblib")
@_covariate_args
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Model file to write (joblib).")
@click.option("--period", help="Training period START/END (ISO dates), recorded with the model.")
@click.option("--sample", "sample_size", default=200_000, show_default=True, help="Forest pixels sampled.")
@click.option("--block-km", default=5.0, show_default=True, help="Side of the spatial CV blocks (km).")
@click.option("--seed", default=0, show_default=True, help="Random seed.")
@json_opt
@click.pass_context
def fit(ctx, fcc, covariates, out, period, sample_size, block_km, seed, as_json) -> None:
    """Fit a calibrated model (binned logistic regression, spatially blocked CV, isotonic calibration)."""
    from ..risk.covariates import covariates_from_paths
    from ..risk.model import fit as fit_model
    from .options import check_date

    start, end = (period.split("/", 1) + [None])[:2] if period else (None, None)
    check_date("--period", start)
    check_date("--period", end)
    covs = covariates_from_paths(_workspace_layers(ctx, covariates, _cache(ctx, Path(out).absolute())))
    with progress_bar("fitting", quiet=_quiet(ctx) or as_json) as bar:
        model = fit_model(fcc, covs, cache=_cache(ctx, Path(out).absolute()), sample_size=sample_size,
                          block_km=block_km, seed=seed, period=(start, end), progress=bar)
    model.save(out)
    info = {"model": str(Path(out).absolute()), "covariates": model.names, "sample": model.sample_size,
            **model.metrics}
    if as_json:
        click.echo(json.dumps(info, indent=1))
        return
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    console(ctx).print(tr.gettext("model written to {out}: {n} covariates, {pixels} pixels, blocked-CV AUC {auc}")
                       .format(out=out, n=len(model.names), pixels=model.sample_size,
                               auc=tr.number(model.metrics["cv_auc_blocked"], 3)))


@command.command("map", epilog="Example: yvy risk map --model glp.joblib --out risk.tif")
@click.option("--model", "model_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Model file written by 'yvy risk fit'.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Risk COG to write (float32, 0-1).")
@click.option("--id", "product_id", help="Catalog product id (default: OUT's name without suffix).")
@click.option("--no-register", is_flag=True, help="Do not register the map in the workspace catalog.")
@json_opt
@click.pass_context
def map_(ctx, model_path, out, product_id, no_register, as_json) -> None:
    """Map the probability of loss on the model grid; register it when a workspace exists."""
    from ..risk.mapping import map_risk
    from ..risk.model import load

    model = load(model_path)
    with progress_bar("mapping", quiet=_quiet(ctx) or as_json) as bar:
        summary = map_risk(model, out, progress=bar)
    ws = None if no_register else _workspace_or_none(ctx)
    if ws is not None:
        from ..dates import now_iso
        from ..risk.publish import register_risk_map
        from .options import store

        item = register_risk_map(store(ctx), ws.assets, product_id or Path(out).stem, out, model, summary,
                                 now=now_iso())
        summary["product"] = f"{item['collection']}/{item['id']}"
    if as_json:
        click.echo(json.dumps(summary, indent=1))
        return
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    msg = tr.gettext("risk map written to {out}: {pixels} pixels, expected loss {ha} in one period").format(
        out=out, pixels=summary["pixels"], ha=tr.area_ha(summary["expected_loss_ha"], 1))
    if "product" in summary:
        msg += tr.gettext("; registered as {product}").format(product=summary["product"])
    console(ctx).print(msg)


@command.command(cls=_Many, epilog="Example: yvy risk evaluate --fcc fcc23.tif --covariates dist_edge.tif "
                                   "dist_defor.tif --out eval.json")
@_covariate_args
@click.option("--train-fraction", default=2 / 3, show_default=True,
              help="Fraction of the forest rows (from the top) to fit on; the rest is scored.")
@click.option("--edge", default="dist_edge", show_default=True, help="Covariate of distance to the forest edge.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the results as JSON.")
@click.option("--sample", "sample_size", default=200_000, show_default=True, help="Forest pixels sampled to fit.")
@click.option("--seed", default=0, show_default=True, help="Random seed.")
@json_opt
@click.pass_context
def evaluate(ctx, fcc, covariates, train_fraction, edge, out, sample_size, seed, as_json) -> None:
    """Spatial hold-out: AUC, figure of merit and wRMSE beside the distance-to-edge benchmark."""
    from ..risk.covariates import covariates_from_paths
    from ..risk.evaluate import split_evaluation

    covs = covariates_from_paths(_workspace_layers(ctx, covariates, _cache(ctx, Path(out or "eval.json").absolute())))
    with progress_bar("evaluating", quiet=_quiet(ctx) or as_json) as bar:
        res = split_evaluation(fcc, covs, cache=_cache(ctx, Path(out or "eval.json").absolute()),
                               train_fraction=train_fraction, edge=edge, seed=seed,
                               sample_size=sample_size, progress=bar)
    if out:
        from ..io import atomic_write_bytes

        atomic_write_bytes(out, json.dumps(res, indent=1).encode())
    if as_json:
        click.echo(json.dumps(res, indent=1))
        return
    from rich.table import Table

    from ..i18n import N_
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    t = Table(title=res["protocol"])
    for col in ("", "AUC", "FOM", *(f"wRMSE {c['cell_km']} km (ha)" for c in res["model"]["cells"])):
        t.add_column(col)
    for name, label in (("model", N_("model")), ("edge_benchmark", N_("distance-to-edge benchmark"))):
        r = res[name]
        t.add_row(tr.gettext(label), tr.number(r["auc"], 3), tr.number(r["fom"], 3),
                  *(tr.number(c["wrmse_ha"], 2) for c in r["cells"]))
    console(ctx).print(t)


def context_zones(ctx) -> list[tuple[str, str, object]]:
    """``(layer, name, geometry)`` of the workspace's departments and protected areas."""
    from ..errors import InputError
    from .alerts import alert_store

    feats = alert_store(ctx).context_features(kinds=("admin", "protected_area"))
    if not feats:
        raise InputError("zones", "no departments or protected areas in this workspace: add them with "
                                  "`yvy context add` (or give `yvy risk stats` a --zones layer)")
    return [(f.layer, f.name, f.geometry) for f in feats]


def risk_raster(ctx, value: str) -> str:
    """A risk raster's path: ``value`` itself when it is a file, else the ``risk`` asset of the
    workspace's risk product of that id (collection ``yvy-risk``)."""
    from ..errors import NotFoundError
    from ..risk.publish import RISK
    from .options import store

    if Path(value).is_file():
        return value
    try:
        return store(ctx).get_item(RISK, value)["assets"]["risk"]["href"]
    except NotFoundError:
        raise NotFoundError(value, "neither a risk raster nor a risk product of this workspace "
                                   "(see `yvy risk map --publish`)") from None


@command.command(epilog="Example: yvy risk stats --risk risk.tif --zones pa_PROJ.shp --name-field NAME")
@click.option("--risk", "risk_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Risk raster (probability of loss per pixel).")
@click.option("--zones", type=click.Path(exists=True, dir_okay=False),
              help="Polygon layer (default: the workspace's admin and protected-area context layers).")
@click.option("--name-field", help="Attribute naming each zone (default: row number).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write the table as CSV.")
@json_opt
@click.pass_context
def stats(ctx, risk_path, zones, name_field, csv_path, as_json) -> None:
    """Expected hectares of forest loss in one period per zone (department, protected area...)."""
    from ..errors import InputError
    from ..risk.zones import expected_loss_by_zone

    if zones:
        import geopandas as gpd

        df = gpd.read_file(zones)
        if df.crs is None:
            raise InputError(zones, "zones have no CRS")
        if name_field and name_field not in df.columns:
            raise InputError("--name-field", f"{name_field!r} is not a field of {zones}")
        df = df.to_crs("EPSG:4326")
        items = [(Path(zones).stem, str(r[name_field]) if name_field else str(i), r.geometry)
                 for i, r in df.iterrows() if r.geometry is not None]
    else:
        items = context_zones(ctx)
    rows = expected_loss_by_zone(risk_path, items)
    if csv_path:
        import csv

        from ..io import atomic_path

        with atomic_path(csv_path, suffix=".csv") as tmp, open(tmp, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["zone"])
            w.writeheader()
            w.writerows(rows)
    if as_json:
        click.echo(json.dumps(rows, indent=1, ensure_ascii=False))
        return
    from ._help_i18n import cli_translator

    print_expected(console(ctx), rows, cli_translator(ctx))


def print_expected(con, rows: list[dict], tr) -> None:
    """The table of expected hectares of loss per zone, in ``tr``'s language."""
    from rich.table import Table

    from ..i18n import N_

    t = Table(title=tr.gettext("expected forest loss in one period (risk map)"))
    for col in (N_("layer"), N_("zone"), N_("forest ha"), N_("expected loss ha")):
        t.add_column(tr.gettext(col), justify="right" if "ha" in col else "left")
    for r in rows:
        t.add_row(r["layer"], r["zone"], tr.number(r["forest_ha"], 1), tr.number(r["expected_loss_ha"], 1))
    con.print(t)
