"""``yvy disaster``: event reports (PDF + GeoPackage) for fires, floods and burn scars."""

from __future__ import annotations

import json

import click

from .options import console, json_opt

__all__ = ["command"]


@click.group(epilog="Example: yvy disaster report --fire FIRE-20201002-1234 --out reports/")
def command() -> None:
    """Disaster products: event reports."""


@command.command(epilog="Example: yvy disaster report --flood out/spain --out reports/spain")
@click.option("--fire", "fire_id", help="A fire event id (see `yvy fires list`).")
@click.option("--flood", "flood_dir", type=click.Path(file_okay=False), help="Output folder of `yvy flood map`.")
@click.option("--burn", "burn_dir", type=click.Path(file_okay=False), help="Output folder of `yvy burn map`.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Report folder.")
@json_opt
@click.pass_context
def report(ctx, fire_id, flood_dir, burn_dir, out_dir, as_json) -> None:
    """Write a PDF (map, areas by department and protected area, timeline) and a GeoPackage."""
    from ..disaster.report import burn_report, fire_report, flood_report, write_report

    chosen = [x for x in (fire_id, flood_dir, burn_dir) if x]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --fire, --flood, --burn")
    from .fires import workspace_stores

    context = workspace_stores(ctx, required=bool(fire_id)).get("context", [])
    if fire_id:
        from .fires import fire_store

        store = fire_store(ctx)
        rep = fire_report(store.get_event(fire_id), store.hotspots(event_id=fire_id))
    elif flood_dir:
        rep = flood_report(flood_dir, context)
    else:
        rep = burn_report(burn_dir)
    from ._help_i18n import cli_language

    paths = write_report(rep, out_dir, context=context, lang=cli_language(ctx))
    if as_json:
        click.echo(json.dumps(paths, indent=1))
        return
    console(ctx).print(f"{rep.title}: {paths['pdf']}, {paths['gpkg']}")

