"""The ``yvy`` command group: global options, lazy command loading, and the one place where
errors become exit codes (0 ok, 1 domain error with one clear line, 2 usage error).

Each command lives in its own module of :mod:`yvy.cli`; :data:`COMMANDS` maps names to them so
``yvy --help`` stays fast (heavy libraries load only when a command runs).
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from .. import __version__
from ..errors import YvyError

__all__ = ["cli", "COMMANDS", "translate_error"]

COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("yvy.cli.init", "Create a workspace."),
    "ingest": ("yvy.cli.ingest", "Register scenes from files, folders, archives or a STAC API."),
    "calibrate": ("yvy.cli.calibrate", "Calibrate and geocode Sentinel-1 GRD products."),
    "scenes": ("yvy.cli.scenes", "List catalogued scenes."),
    "detect": ("yvy.cli.detect", "Run change detection (BFAST Monitor) over an area."),
    "monitor": ("yvy.cli.monitor", "Incremental monitoring of new scenes."),
    "compile": ("yvy.cli.compile", "Compile and cache the numba kernels (once, after installing)."),
    "alerts": ("yvy.cli.alerts", "List, review, export deforestation alerts."),
    "context": ("yvy.cli.context", "Manage context layers (departments, protected areas, permits)."),
    "stats": ("yvy.cli.stats", "Forest-loss statistics."),
    "evaluate": ("yvy.cli.evaluate", "Evaluate alerts against reference data."),
    "serve": ("yvy.cli.serve", "Serve STAC API, OGC API Features, tiles and the web map."),
    "users": ("yvy.cli.users", "Manage users, roles and API keys."),
    "security": ("yvy.cli.security", "Security events for a CSIRT (authentication, lockouts, admin changes)."),
    "notify": ("yvy.cli.notify", "Run the webhook notification service."),
    "db": ("yvy.cli.db", "Database schema migrations and copies."),
    "demo": ("yvy.cli.demo", "Build and run the demo workspace."),
    "keys": ("yvy.cli.keys", "The agency key that signs evidence and audit checkpoints."),
    "evidence": ("yvy.cli.evidence", "Verify signed evidence packages offline."),
    "backup": ("yvy.cli.backup", "Back up the workspace (database, files, checksums)."),
    "restore": ("yvy.cli.restore", "Restore a backup into a new workspace, verifying it."),
    "flood": ("yvy.cli.flood", "Water and flood extent maps from Sentinel-1 and Sentinel-2."),
    "fires": ("yvy.cli.fires", "Ingest NASA FIRMS hotspots and list fire events."),
    "burn": ("yvy.cli.burn", "Burn scars and severity (dNBR) from scenes before and after."),
    "disaster": ("yvy.cli.disaster", "Event reports (PDF + GeoPackage) for floods and fires."),
    "risk": ("yvy.cli.risk", "Deforestation risk models and maps."),
    "patrol": ("yvy.cli.patrol", "Plan drone patrol flights."),
    "field": ("yvy.cli.field", "Offline field packages for ranger teams."),
    "training": ("yvy.cli.training", "Training simulator: exercises, class results, certificates."),
}


class LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        """The command ``name``; a registered module that cannot be imported fails loudly."""
        if name not in COMMANDS:
            return None
        from ._help_i18n import cli_language, localize, speaking

        with speaking(None):  # click's texts made on import (type names) stay English: the message ids
            module = importlib.import_module(COMMANDS[name][0])
        return localize(module.command, cli_language(ctx), ctx)

    def format_help(self, ctx, formatter):
        from ._help_i18n import cli_language, localize

        localize(self, cli_language(ctx), ctx)
        super().format_help(ctx, formatter)

    def format_commands(self, ctx, formatter):
        from ..i18n import translator
        from ._help_i18n import cli_language

        tr = translator(cli_language(ctx))
        rows = [(n, tr.gettext(COMMANDS[n][1])) for n in self.list_commands(ctx)]
        if rows:
            with formatter.section(tr.gettext("Commands")):
                formatter.write_dl(rows)

    def main(self, args=None, prog_name=None, **extra):
        """Run the CLI with click's own texts (usage, errors) in the invocation's language: ``--lang``
        and ``--home`` read first by a resilient parse of the arguments (no callbacks, no errors)."""
        from ._help_i18n import cli_language, install_click_catalog, speaking

        install_click_catalog()
        probe = self.make_context(prog_name or "yvy", list(sys.argv[1:] if args is None else args),
                                  resilient_parsing=True)
        with speaking(cli_language(probe)):
            return super().main(args, prog_name, **extra)

    def invoke(self, ctx):
        pending = ctx._protected_args if hasattr(ctx, "_protected_args") else ctx.protected_args
        args = [*pending, *ctx.args]
        try:
            return super().invoke(ctx)
        except YvyError as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            from ._help_i18n import cli_language

            line = translate_error(exc, _leaf(self, ctx, args), cli_language(ctx))
            raise click.ClickException(line) from None  # i18n: relayed
        except click.ClickException as exc:  # yvy's own usage errors (click's are in its language already)
            from ._help_i18n import cli_error

            exc.message = cli_error(ctx, exc.message)
            raise


def _leaf(group: click.Group, ctx: click.Context, args: list[str]) -> click.Command:
    """The (sub-)command that ``args`` invoke under ``group``."""
    cmd: click.Command = group
    while isinstance(cmd, click.Group) and args:
        try:
            _, sub, args = cmd.resolve_command(ctx, args)
        except click.UsageError:
            break
        if sub is None:
            break
        cmd = sub
    return cmd


def translate_error(exc: YvyError, command: click.Command, lang: str | None = "en") -> str:
    """The domain error's line in the CLI's words: a subject naming one of the command's
    parameters (``monitor_start``, ``order``, ``trend``) becomes its flag (``--monitor-start``,
    ``--k``, ``--no-trend``), and the problem (and a subject in words, "audit log") is in ``lang``
    (its template's translation, values unchanged: :mod:`yvy.i18n.errors`)."""
    from ..i18n.errors import translate_message

    problem = translate_message(exc.problem, lang)
    names = (exc.subject, f"no_{exc.subject}")
    flag = f"--{str(exc.subject).replace('_', '-')}"
    for p in command.params:
        if isinstance(p, click.Option) and (p.name in names or flag in p.opts):
            return f"{max(p.opts, key=len)}: {problem}"
    return problem if exc.subject is None else f"{translate_message(exc.subject, lang)}: {problem}"


def _version(ctx: click.Context, _param, value: bool) -> None:
    """``--version``: click's line in the CLI's language (click's own option words it on import)."""
    if not value or ctx.resilient_parsing:
        return
    from ._help_i18n import cli_translator

    click.echo(cli_translator(ctx).gettext("%(prog)s, version %(version)s") % {"prog": "yvy", "version": __version__})
    ctx.exit()


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example: yvy init ./yvy-data && yvy ingest ~/Downloads/S2B_MSIL2A_*.zip",
)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show the version and exit.")
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    envvar="YVY_HOME",
    default=None,
    help="Workspace folder (default: $YVY_HOME or ./yvy-data).",
)
@click.option("--lang", type=click.Choice(["es", "en", "gn"]), envvar="YVY_LANG", is_eager=True,
              help="Language of help, reports and messages (default: the workspace's locale, else es).")
@click.option("-v", "--verbose", is_flag=True, help="Show debug logs and full tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="Only print errors and results.")
@click.pass_context
def cli(ctx: click.Context, home: str | None, lang: str | None, verbose: bool, quiet: bool) -> None:
    """yvy: receive, catalogue, process and disseminate Earth-observation imagery.

    Deforestation alerts, change detection and open dissemination for a national
    space agency, on its own machines.
    """
    level = logging.DEBUG if verbose else (logging.ERROR if quiet else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(dict)
    ctx.obj.update(home=home, lang=lang, verbose=verbose, quiet=quiet)


def main() -> None:  # pragma: no cover - console entry convenience
    sys.exit(cli())
