"""``yvy compile``: the tiny pipeline runs end to end and fills numba's cache."""

from __future__ import annotations

import json

from click.testing import CliRunner

from yvy.cli.main import cli


def test_compile_runs_the_pipeline_and_caches_kernels(tmp_path, monkeypatch):
    cache = tmp_path / "numba-cache"
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(cache))  # reported back (numba reads it at start-up)
    r = CliRunner().invoke(cli, ["--home", str(tmp_path / "home"), "compile", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert set(out["seconds"]) == {"scenes", "ingest", "detect", "update", "alerts"}
    assert all(v >= 0 for v in out["seconds"].values())
    assert out["cache"] == str(cache)
