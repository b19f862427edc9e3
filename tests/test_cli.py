"""The command line: version, help with an example on every command, workspace discovery."""

from __future__ import annotations

import click
from click.testing import CliRunner

from yvy import __version__
from yvy.cli.main import COMMANDS, cli, translate_error
from yvy.config import Workspace
from yvy.errors import InputError
from yvy.storage import open_store


def _walk(cmd: click.Command, path: tuple[str, ...]):
    yield path, cmd
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for sub in cmd.list_commands(ctx):
            yield from _walk(cmd.get_command(ctx, sub), (*path, sub))


def test_version():
    r = CliRunner().invoke(cli, ["--version"])
    assert r.exit_code == 0 and __version__ in r.output


def test_help_lists_commands():
    r = CliRunner().invoke(cli, ["--help"])
    assert r.exit_code == 0
    for name in ("init", "ingest", "scenes"):
        assert name in r.output


def test_the_group_lists_every_registered_command():
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == list(COMMANDS)
    for name in COMMANDS:
        assert isinstance(cli.get_command(ctx, name), click.Command), name


def test_every_command_has_help_with_example():
    """Walk the click tree from the root: every command and sub-command, none skipped."""
    paths = []
    for path, _cmd in _walk(cli, ()):
        paths.append(path)
        r = CliRunner().invoke(cli, ["--lang", "en", *path, "--help"])
        assert r.exit_code == 0, (path, r.output)
        assert "Example" in r.output, f"yvy {' '.join(path)} --help has no example"
    assert {p[0] for p in paths if p} == set(COMMANDS)


def test_missing_workspace_is_one_clear_line(tmp_path):
    r = CliRunner().invoke(cli, ["--lang", "en", "--home", str(tmp_path / "nowhere"), "scenes"])
    assert r.exit_code == 1
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "no yvy workspace" in lines[0] and "yvy init" in lines[0]


def test_home_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("YVY_HOME", str(tmp_path / "ws"))
    r = CliRunner().invoke(cli, ["init"])
    assert r.exit_code == 0, r.output
    assert open_store(Workspace(tmp_path / "ws").database_url) and (tmp_path / "ws" / "assets").is_dir()
    r = CliRunner().invoke(cli, ["scenes"])
    assert r.exit_code == 0 and "0 escenas" in r.output


def test_init_directory_argument(tmp_path):
    r = CliRunner().invoke(cli, ["init", str(tmp_path / "w2")])
    assert r.exit_code == 0
    assert open_store(Workspace(tmp_path / "w2").database_url)  # the database exists, with its schema


def test_bad_bbox_is_usage_error(tmp_path):
    CliRunner().invoke(cli, ["--home", str(tmp_path), "init"])
    r = CliRunner().invoke(cli, ["--lang", "en", "--home", str(tmp_path), "scenes", "--bbox", "1,2,3"])
    assert r.exit_code == 2 and "not a valid bounding box" in r.output


def test_serve_on_a_busy_port_is_one_clear_line(tmp_path):
    import socket

    CliRunner().invoke(cli, ["--home", str(tmp_path), "init"])
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        for args in (["serve", "--port", str(port)], ["demo", "--port", str(port)]):
            r = CliRunner().invoke(cli, ["--home", str(tmp_path), *args])
            assert r.exit_code == 1, r.output
            lines = [ln for ln in r.output.splitlines() if ln.strip()]
            assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0] and "--port" in lines[0]
    assert not (tmp_path / "demo").exists()  # the demo stopped before doing any work


def test_domain_errors_name_parameters_and_the_cli_names_flags():
    detect = cli.get_command(click.Context(cli), "detect")
    assert translate_error(InputError("monitor_start", "x"), detect) == "--monitor-start: x"
    assert translate_error(InputError("order", "x"), detect) == "--k: x"
    assert translate_error(InputError("trend", "x"), detect) == "--no-trend: x"
    assert translate_error(InputError("AOI", "x"), detect) == "AOI: x"


DOMAIN_AND_API = ("kernels", "catalog", "cube", "change", "alerts", "demo", "api")


def test_no_domain_module_names_a_cli_flag():
    """String literals of the domain and the API (docstrings aside) never spell ``--flag``."""
    import ast
    import re
    from pathlib import Path

    import yvy

    root = Path(yvy.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.relative_to(root).parts[0] not in DOMAIN_AND_API:
            continue
        tree = ast.parse(path.read_text())
        docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
                    and re.search(r"(^|[\s(])--[a-z]", node.value)):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}: {node.value[:60]}")
    assert not offenders, offenders
