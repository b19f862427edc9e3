"""The alerts step shared by ``yvy detect``, ``yvy monitor update``, ``yvy alerts update`` and
``yvy demo``: detection product -> alerts, with the same options everywhere."""

from __future__ import annotations

import functools

import click

from .options import console, store

__all__ = [
    "cluster_options", "alert_store", "alert_options", "alerts_from_product", "check_alert_options",
    "print_alert_summary"]


def alert_store(ctx: click.Context):
    """The workspace's alert store (cached on the context)."""
    from ..storage.alerts import SQLAlertStore

    root = ctx.find_root()
    if "alert_store" not in root.obj:
        root.obj["alert_store"] = SQLAlertStore(store(ctx))
    return root.obj["alert_store"]


def cluster_options(f):
    """--scheduler / --workers: run the chunks on a Dask cluster."""
    f = click.option("--workers", type=click.IntRange(1), default=None,
                     help="Run the chunks on a local Dask cluster of N worker processes.")(f)
    return click.option("--scheduler", metavar="tcp://HOST:PORT", default=None,
                        help="Run the chunks on this Dask scheduler (default: $YVY_DASK_SCHEDULER).")(f)


def alert_options(f):
    """Options that shape alerts: --window-days --min-loss --mmu --id-prefix --profile
    --forest-mask --no-forest-filter."""
    opts = [
        click.option("--window-days", type=click.FloatRange(min=0), default=30, show_default=True,
                     help="Touching pixels join one alert when their break dates differ by at most this."),
        click.option("--min-loss", type=click.FloatRange(min=0), default=0.0, show_default=True,
                     help="Pixels need magnitude <= -MIN_LOSS (index units) to count as loss."),
        click.option("--mmu", "mmu_ha", type=click.FloatRange(min=0), default=0.5, show_default=True,
                     help="Minimum mapping unit of an alert in hectares."),
        click.option("--id-prefix", default="PY", show_default=True, help="Prefix of new alert ids."),
        click.option("--profile", default="paraguay", show_default=True,
                     help="Legal-rule profile (name or TOML file)."),
        click.option("--forest-mask", type=click.Path(exists=True, dir_okay=False),
                     help="Alerts only where this is forest: a raster (non-zero = forest, any CRS, "
                          "nearest-neighbour onto the detection grid) or a polygon layer (inside = forest). "
                          "Default: the product's forest_history layer (NDVI: forest judged from each "
                          "pixel's fitted history year)."),
        click.option("--no-forest-filter", "no_forest_filter", is_flag=True,
                     help="Alerts from every pixel, forest or not (no forest mask at all)."),
    ]
    return functools.reduce(lambda acc, opt: opt(acc), reversed(opts), f)


def check_alert_options(**alert_kw) -> None:
    """Raise BadParameter for contradictory alert options (call before any work)."""
    if alert_kw.get("forest_mask") and alert_kw.get("no_forest_filter"):
        raise click.BadParameter("give --forest-mask or --no-forest-filter, not both", param_hint="--forest-mask")
    if alert_kw.get("forest_mask"):
        from ..alerts.forest import check_forest_mask

        check_forest_mask(alert_kw["forest_mask"])


def alerts_from_product(ctx, item: dict, *, window_days=30, min_loss=0.0, mmu_ha=0.5,
                        id_prefix="PY", profile="paraguay", forest_mask=None, no_forest_filter=False) -> dict:
    """Create or update the alerts of a detection product; returns update_alerts' summary."""
    from ..alerts.build import update_alerts
    from ..alerts.layers import layers_from_item
    from ..alerts.vectorize import AlertParams

    check_alert_options(forest_mask=forest_mask, no_forest_filter=no_forest_filter)
    params = AlertParams(window_days=window_days, min_loss=min_loss, mmu_ha=mmu_ha, id_prefix=id_prefix,
                         forest_filter=not no_forest_filter)
    layers = layers_from_item(item, forest_mask=forest_mask, forest_filter=not no_forest_filter)
    return update_alerts(alert_store(ctx), layers, params, profile=profile)


def print_alert_summary(ctx, product_id: str, res: dict) -> None:
    """One line: candidates and what happened to them."""
    from ._help_i18n import cli_translator

    console(ctx).print(cli_translator(ctx).gettext(
        "{product}: {candidates} alert candidate(s): {created} new, {updated} updated, {merged} merged, "
        "{unchanged} unchanged").format(product=product_id, **res))
