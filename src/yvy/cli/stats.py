"""``yvy stats``: forest-loss area by month, by admin unit and by protected area."""

from __future__ import annotations

import json

import click

from .alerts import alert_store, filter_options, query_from
from .options import console, json_opt

__all__ = ["command"]


@click.command(epilog="Example: yvy stats --since 2024-01-01 --csv loss.csv --png loss.png")
@filter_options
@click.option("--by", "groups", multiple=True, type=click.Choice(["month", "admin", "protected_area"]),
              help="Only these groupings (default: all three).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write the table as CSV.")
@click.option("--json-out", "json_path", type=click.Path(dir_okay=False), help="Write the table as JSON.")
@click.option("--png", "png_path", type=click.Path(dir_okay=False), help="Write bar charts as PNG.")
@click.option("--risk", "risk", help="Risk raster or risk product id: add the expected hectares of loss "
              "per department and protected area.")
@json_opt
@click.pass_context
def command(ctx, groups, csv_path, json_path, png_path, risk, as_json, **kw) -> None:
    """Forest-loss hectares and alert counts by month, admin unit and protected area.

    Dismissed alerts are left out unless --status names them. With --risk, also the hectares of
    loss a risk map expects in one period in each department and protected area of the
    workspace's context layers (as `yvy risk stats`).
    """
    from dataclasses import replace

    from ..alerts.stats import GROUP_TITLES, loss_stats, plot_stats, write_stats_csv, write_stats_json
    from ..i18n import translator
    from ._help_i18n import cli_language

    q = query_from(kw)
    if not q.status:
        q = replace(q, status=("new", "under_review", "confirmed", "referred"))
    stats = loss_stats(alert_store(ctx).find_alerts(q))
    if groups:
        stats = {g: stats[g] for g in groups}
    expected = None
    if risk:
        from ..risk.zones import expected_loss_by_zone
        from .risk import context_zones, risk_raster

        expected = expected_loss_by_zone(risk_raster(ctx, risk), context_zones(ctx))
    con = console(ctx, stderr=as_json)
    tr = translator(cli_language(ctx))
    _ = tr.gettext
    if csv_path:
        write_stats_csv(stats, csv_path)
        con.print(_("CSV written to {path}").format(path=csv_path))
    if json_path:
        write_stats_json(stats, json_path)
        con.print(_("JSON written to {path}").format(path=json_path))
    if png_path:
        plot_stats(stats, png_path, lang=tr.lang)
        con.print(_("chart written to {path}").format(path=png_path))
    if as_json:
        click.echo(json.dumps(stats if expected is None else {**stats, "expected_loss": expected},
                              ensure_ascii=False, indent=1))
        return
    from rich.table import Table

    for g, rows in stats.items():
        t = Table(title=_("forest loss {group}").format(group=_(GROUP_TITLES[g])))
        t.add_column(g)
        t.add_column(_("alerts"), justify="right")
        t.add_column("ha", justify="right")
        for r in rows:
            t.add_row(str(r["key"]), str(r["alerts"]), tr.number(r["area_ha"], 2))
        con.print(t)
    if expected is not None:
        from .risk import print_expected

        print_expected(con, expected, tr)
