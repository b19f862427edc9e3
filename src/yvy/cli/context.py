"""``yvy context``: add, list and remove context layers (admin units, protected areas, permits...)."""

from __future__ import annotations

import json

import click

from .alerts import alert_store
from .options import console, json_opt

__all__ = ["command"]

KINDS = ("admin", "protected_area", "permit", "indigenous_land", "border_zone", "custom")


@click.group(epilog="Example: yvy context add --builtin paraguay")
def command() -> None:
    """Manage context layers used to annotate alerts and apply the legal rules."""


@command.command(epilog="Example: yvy context add areas_protegidas.gpkg --kind protected_area --name-field nombre\n\n"
                         "Example: yvy context add --builtin paraguay")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--builtin", metavar="NAME",
              help="Load the context shipped with yvy instead of a file (paraguay: departments with their "
                   "region, international borders; Natural Earth, public domain).")
@click.option("--kind", type=click.Choice(KINDS), help="What the layer holds (required with FILE).")
@click.option("--name-field", help="Attribute holding each feature's name.")
@click.option("--name", "layer_name", help="Layer name (default: the file name without suffix).")
@click.option("--layer", help="Layer inside a multi-layer file (GeoPackage).")
@click.option("--replace", is_flag=True, help="Replace an existing layer of the same name.")
@click.option("--profile", default="paraguay", show_default=True,
              help="Legal-rule profile used to re-evaluate the alerts (name or TOML file).")
@click.pass_context
def add(ctx, file, builtin, kind, name_field, layer_name, layer, replace, profile) -> None:
    """Add a layer (GeoJSON, GeoPackage, Shapefile, GeoParquet; any CRS, reprojected to WGS84).

    Existing alerts are re-annotated and their legal flags re-evaluated.
    """
    from ..alerts.build import refresh_context
    from ..alerts.context import load_builtin, read_layer
    from ._help_i18n import cli_translator

    _ = cli_translator(ctx).gettext

    if builtin:
        if file or kind:
            raise click.UsageError("give either FILE (with --kind) or --builtin, not both")
        res = load_builtin(alert_store(ctx), builtin, profile=profile, replace=replace)
        console(ctx).print(_(
            "built-in context {name!r}: layers {layers} ({features} features) added; {changed} of {alerts} alert(s) "
            "re-annotated").format(name=builtin, layers=", ".join(res["layers"]), features=res["features"],
                                   changed=res["changed"], alerts=res["alerts"]))
        return
    if not file or not kind:
        raise click.UsageError("give FILE and --kind, or --builtin NAME")
    lyr = read_layer(file, kind=kind, name=layer_name, name_field=name_field, layer=layer)
    s = alert_store(ctx)
    with s.transaction():
        s.add_context_layer(lyr, replace=replace)
        res = refresh_context(s, profile)
    console(ctx).print(_(
        "context layer {name!r} ({kind}, {features} features, from {crs}) added; {changed} of {alerts} alert(s) "
        "re-annotated").format(name=lyr.name, kind=kind, features=len(lyr.features), crs=lyr.source_crs,
                               changed=res["changed"], alerts=res["alerts"]))


@command.command("list", epilog="Example: yvy context list --json")
@json_opt
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List the context layers of the workspace."""
    rows = alert_store(ctx).list_context_layers()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    from rich.table import Table

    from ..i18n import N_
    from ._help_i18n import cli_translator

    tr = cli_translator(ctx)
    t = Table(title=tr.ngettext("{n} context layer", "{n} context layers", len(rows)).format(n=len(rows)))
    for col in (N_("name"), N_("kind"), N_("features"), N_("name field"), N_("source CRS"), N_("source")):
        t.add_column(tr.gettext(col))
    for r in rows:
        t.add_row(r["name"], r["kind"], str(r["features"]), r["name_field"] or "-", r["source_crs"], r["source"])
    console(ctx).print(t)


@command.command(epilog="Example: yvy context remove old_permits")
@click.argument("name")
@click.option("--profile", default="paraguay", show_default=True, help="Legal-rule profile (name or TOML).")
@click.pass_context
def remove(ctx: click.Context, name: str, profile: str) -> None:
    """Remove a context layer and re-annotate the alerts."""
    from ..alerts.build import refresh_context

    s = alert_store(ctx)
    with s.transaction():
        s.remove_context_layer(name)
        res = refresh_context(s, profile)
    from ._help_i18n import cli_translator

    console(ctx).print(cli_translator(ctx).gettext("context layer {name!r} removed; {changed} alert(s) re-annotated")
                       .format(name=name, changed=res["changed"]))
