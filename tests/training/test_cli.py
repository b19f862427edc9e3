"""``yvy training``: create, list, results and certificate on the demo workspace."""

from __future__ import annotations

import csv
import json

from click.testing import CliRunner

from yvy.cli.main import cli


def _run(home, *args, lang=None):
    return CliRunner().invoke(cli, ["--home", str(home), *(["--lang", lang] if lang else []), "training", *args])


def test_create_list_results_certificate(fresh_demo, tmp_path):
    from yvy.storage import open_store
    from yvy.storage.training import SQLTrainingStore
    from yvy.training.model import Answer
    from yvy.training.service import answer_case

    home = fresh_demo.workspace.home
    r = _run(home, "create", "--title", "Chaco 2", "--by", "ines", "--cases", "8", "--seed", "3", "--json")
    assert r.exit_code == 0, r.output
    made = json.loads(r.output)
    assert made["cases"] == 8 and sum(made["counts"].values()) == 8
    listed = json.loads(_run(home, "list", "--json").output)
    assert {e["id"] for e in listed} == {made["id"], fresh_demo.exercise_id}

    store = open_store(fresh_demo.workspace.database_url)
    trainings = SQLTrainingStore(store)
    session = trainings.start_session(made["id"], "tom")
    cases = trainings.get_exercise(made["id"]).cases
    for k, c in enumerate(cases):  # right on every case but the first, which is answered the other way
        decision = c.truth_decision if k else ("dismiss" if c.truth_decision == "confirm" else "confirm")
        reason = "clearing" if decision == "confirm" else (c.truth_reason if k else "other")
        answer_case(trainings, session["id"], "tom", Answer(c.id, decision, reason, c.truth_action, seconds=10 + k))
    store.close()

    res = json.loads(_run(home, "results", made["id"], "--json").output)
    [row] = res["sessions"]
    assert row["trainee"] == "tom" and row["score"]["accuracy"] == 7 / 8
    table = _run(home, "results", made["id"])
    assert table.exit_code == 0 and "88 %" in table.output

    r = _run(home, "certificate", session["id"], "-o", str(tmp_path / "cert"), "--lang", "es", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    with open(out["csv"], newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [x["case_id"] for x in rows] == [c.id for c in cases]
    assert [x["decision_ok"] for x in rows] == ["False"] + ["True"] * 7
    with open(out["pdf"], "rb") as fh:
        assert fh.read(5) == b"%PDF-"


def test_unknown_exercise_and_bad_demo_folder_fail_on_one_line(fresh_demo, tmp_path):
    home = fresh_demo.workspace.home
    r = _run(home, "results", "EX-nope", lang="en")
    assert r.exit_code == 1 and r.output.strip() == "Error: EX-nope: no such training exercise"
    r = _run(home, "create", "--title", "x", "--by", "ines", "--demo", str(tmp_path), lang="en")
    assert r.exit_code == 1 and "not a demo folder" in r.output and len(r.output.strip().splitlines()) == 1
    r = _run(home, "create", "--title", "x", "--by", "ines", "--from-alerts", lang="en")
    assert r.exit_code == 1 and r.output.startswith("Error: alerts: 0 confirmed or dismissed alert(s)")
    assert not any((fresh_demo.workspace.assets / "training").glob(".*"))
