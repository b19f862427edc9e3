"""The alerts step shared by ``yvy detect``, ``yvy monitor update``, ``yvy alerts update`` and
``yvy demo``: detection product -> alerts, with the same options everywhere."""

from __future__ import annotations

import functools

import click

from .options import console, store

__all__ = ["alert_store", "alert_options", "alerts_from_product", "print_alert_summary"]


def alert_store(ctx: click.Context):
    """The workspace's alert store (cached on the context)."""
    from ..storage.alerts_sqlite import SQLiteAlertStore

    root = ctx.find_root()
    if "alert_store" not in root.obj:
        root.obj["alert_store"] = SQLiteAlertStore(store(ctx))
    return root.obj["alert_store"]


def alert_options(f):
    """Options that shape alerts: --window-days --min-loss --mmu --id-prefix --profile."""
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
    ]
    return functools.reduce(lambda acc, opt: opt(acc), reversed(opts), f)


def alerts_from_product(ctx, item: dict, *, window_days=30, min_loss=0.0, mmu_ha=0.5,
                        id_prefix="PY", profile="paraguay") -> dict:
    """Create or update the alerts of a detection product; returns update_alerts' summary."""
    from ..alerts.build import update_alerts
    from ..alerts.layers import layers_from_item
    from ..alerts.vectorize import AlertParams

    params = AlertParams(window_days=window_days, min_loss=min_loss, mmu_ha=mmu_ha, id_prefix=id_prefix)
    return update_alerts(alert_store(ctx), layers_from_item(item), params, profile=profile)


def print_alert_summary(ctx, product_id: str, res: dict) -> None:
    """One line: candidates and what happened to them."""
    console(ctx).print(f"{product_id}: {res['candidates']} alert candidate(s): {res['created']} new, "
                       f"{res['updated']} updated, {res['merged']} merged, {res['unchanged']} unchanged")
