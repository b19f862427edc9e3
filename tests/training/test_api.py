"""The training routes: roles, cases without their outcome, answers scored with feedback, a class's
results, and nothing written to the alerts or the audit log."""

from __future__ import annotations

from tests.conftest import raw_sql


def test_trainee_answers_and_instructor_reads_results(tclient, fresh_demo):
    ex_id = fresh_demo.exercise_id
    assert tclient.get("/api/training/exercises").status_code == 401
    assert tclient.get("/api/training/exercises", headers=tclient.as_user("vic")).status_code == 403
    listed = tclient.get("/api/training/exercises", headers=tclient.as_user("tom")).json()
    assert [e["id"] for e in listed] == [ex_id]
    ex = tclient.get(f"/api/training/exercises/{ex_id}", headers=tclient.as_user("tom")).json()
    assert len(ex["cases"]) == 12
    assert not {"kind", "truth_geometry", "truth_date", "source", "note"} & set(ex["cases"][0])
    chip = tclient.get(f"/api/training/exercises/{ex_id}/chips/{ex['cases'][0]['after']['chip']}",
                       headers=tclient.as_user("tom"))
    assert chip.status_code == 200 and chip.content[:4] == b"\x89PNG"
    bad = tclient.get(f"/api/training/exercises/{ex_id}/chips/..%2Fyvy.db", headers=tclient.as_user("tom"))
    assert bad.status_code == 404

    from yvy.storage import open_store
    from yvy.storage.training import SQLTrainingStore

    store = open_store(fresh_demo.workspace.database_url)
    truth = {c.id: c for c in SQLTrainingStore(store).get_exercise(ex_id).cases}
    counts = [raw_sql(store, f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("alerts", "audit_log")]

    session = tclient.post(f"/api/training/exercises/{ex_id}/sessions", headers=tclient.as_user("tom")).json()
    sid = session["session"]["id"]
    for k, case in enumerate(ex["cases"]):
        c = truth[case["id"]]
        wrong = k == 0  # the first is answered the wrong way round
        decision = {"confirm": "dismiss", "dismiss": "confirm"}[c.truth_decision] if wrong else c.truth_decision
        reason = "clearing" if decision == "confirm" else ("other" if wrong else c.truth_reason)
        r = tclient.post(f"/api/training/sessions/{sid}/answers?lang=es", headers=tclient.as_user("tom"),
                         json={"case_id": c.id, "decision": decision, "reason": reason, "action": c.truth_action,
                               "geometry": case["geometry"], "seconds": 20})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["result"]["decision_ok"] is (not wrong)
        assert body["feedback"].startswith("Decisión equivocada." if wrong else "Correcto.")
    assert body["score"]["answered"] == 12 and body["score"]["accuracy"] == 11 / 12
    again = tclient.post(f"/api/training/sessions/{sid}/answers", headers=tclient.as_user("tom"),
                         json={"case_id": c.id, "decision": "dismiss", "reason": "other", "action": "none"})
    assert again.status_code == 409
    # another trainee can neither read nor answer in tom's session; the instructor reads it
    assert tclient.get(f"/api/training/sessions/{sid}", headers=tclient.as_user("tia")).status_code == 404
    assert tclient.get(f"/api/training/sessions/{sid}", headers=tclient.as_user("ines")).status_code == 200
    assert tclient.post(f"/api/training/sessions/{sid}/finish", headers=tclient.as_user("tom")).json()[
        "session"]["finished"]
    cert = tclient.get(f"/api/training/sessions/{sid}/certificate.csv", headers=tclient.as_user("ines"))
    assert cert.status_code == 200 and len(cert.text.splitlines()) == 13 and "attachment" in cert.headers[
        "content-disposition"]
    pdf = tclient.get(f"/api/training/sessions/{sid}/certificate.pdf?lang=en", headers=tclient.as_user("tom"))
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    other = tclient.get(f"/api/training/sessions/{sid}/certificate.pdf", headers=tclient.as_user("tia"))
    assert other.status_code == 404
    assert tclient.get(f"/api/training/exercises/{ex_id}/results", headers=tclient.as_user("tom")).status_code == 403
    res = tclient.get(f"/api/training/exercises/{ex_id}/results", headers=tclient.as_user("ines")).json()
    assert [(s["trainee"], s["score"]["accuracy"]) for s in res["sessions"]] == [("tom", 11 / 12)]
    assert [raw_sql(store, f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("alerts", "audit_log")] == counts
    store.close()


def test_bad_answers_are_refused(tclient, fresh_demo):
    sid = tclient.post(f"/api/training/exercises/{fresh_demo.exercise_id}/sessions",
                       headers=tclient.as_user("tom")).json()["session"]["id"]
    h = tclient.as_user("tom")
    url = f"/api/training/sessions/{sid}/answers"
    assert tclient.post(url, headers=h, json={"case_id": "C01", "decision": "maybe", "reason": "other",
                                              "action": "none"}).status_code == 400
    r = tclient.post(url, headers=h, json={"case_id": "C01", "decision": "confirm", "reason": "fire", "action": "none"})
    assert r.status_code == 400 and "reason" in r.text
    r = tclient.post(url, headers=h, json={"case_id": "C99", "decision": "dismiss", "reason": "fire", "action": "none"})
    assert r.status_code == 404
    r = tclient.post(url, headers=h, json={"case_id": "C01", "decision": "confirm", "reason": "clearing",
                                           "action": "refer", "geometry": {"type": "Polygon", "coordinates": "x"}})
    assert r.status_code == 400 and "geometry" in r.text
    point = {"type": "Point", "coordinates": [-60.4, -22.0]}
    r = tclient.post(url, headers=h, json={"case_id": "C01", "decision": "confirm", "reason": "clearing",
                                           "action": "refer", "geometry": point})
    assert r.status_code == 400 and "polygon" in r.text
    assert tclient.get("/training").status_code == 200
