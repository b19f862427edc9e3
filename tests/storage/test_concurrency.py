"""Several processes ingesting, detecting and reviewing on one workspace database at once lose
nothing (SQLite: WAL + BEGIN IMMEDIATE + busy timeout; PostgreSQL: transactions serialised by
the writer lock). Processes are started with ``spawn``, as separate programs would be."""

from __future__ import annotations

import multiprocessing as mp

from shapely.geometry import box

from yvy.storage import open_store

N_ALERTS = 12      # half reviewed by each reviewer, plus SHARED contested by both
SHARED = 4
N_INGEST = 60      # items per ingesting process
N_CHUNKS = 15      # chunks of the detection job


def _item(iid, x, coll="c"):
    ring = [[x, 0], [x + 1, 0], [x + 1, 1], [x, 1], [x, 0]]
    return {"type": "Feature", "id": iid, "collection": coll, "bbox": [x, 0, x + 1, 1],
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"datetime": "2024-01-05T10:00:00Z"}, "assets": {}, "links": []}


def _ingest(url, w, go):
    s = open_store(url)
    go.wait()
    for i in range(N_INGEST):
        s.upsert_item(_item(f"w{w}-{i}", i))
        if i % 3 == 0:
            s.upsert_item(_item(f"w{w}-{i}", i + 0.5))  # re-ingest: replaced, not duplicated


def _detect(url, go):
    """What a detection run writes: a job row, its progress per chunk, then the product item."""
    s = open_store(url)
    go.wait()
    s.start_job("detect-1", "detect", {}, {"done": []})
    for i in range(N_CHUNKS):
        with s.transaction():
            done = s.get_job("detect-1").progress["done"]
            s.update_job("detect-1", progress={"done": [*done, i]})
    with s.transaction():
        s.upsert_collection({"id": "yvy-detections", "type": "Collection"})
        s.upsert_item(_item("DET-1", 0, "yvy-detections"))
        s.update_job("detect-1", progress=s.get_job("detect-1").progress, state="done")


def _review(url, r, ids, go):
    from yvy.alerts import review_alert
    from yvy.errors import ConflictError
    from yvy.storage.alerts import SQLAlertStore

    s = SQLAlertStore(open_store(url))
    go.wait()
    mine = ids[SHARED:][r::2]
    for aid in ids[:SHARED] + mine:  # both reviewers race for the shared ones
        try:
            review_alert(s, aid, "under_review", by=f"reviewer{r}")
        except ConflictError:
            assert aid in ids[:SHARED]
    for aid in mine:
        review_alert(s, aid, "confirmed", by=f"reviewer{r}", reason="field_visit")


def test_parallel_ingest_detect_and_review_lose_nothing(tmp_path, store_url):
    from yvy.alerts.audit import verify_chain
    from yvy.alerts.model import Alert
    from yvy.storage.alerts import SQLAlertStore

    url = store_url(tmp_path / "yvy.db")
    s = open_store(url, create=True)
    s.upsert_collection({"id": "c", "type": "Collection"})
    a = SQLAlertStore(s)
    ids = []
    for k in range(N_ALERTS):
        aid = a.next_alert_id("PY", 2024)
        a.insert_alert(Alert(id=aid, geometry=box(k, 0, k + 0.5, 0.5), area_ha=1.0,
                             first_detected="2024-01-05"))
        a.append_audit(at="2024-01-06T00:00:00Z", actor="system", alert_id=aid, action="created",
                       payload={})
        ids.append(aid)
    s.close()

    ctx = mp.get_context("spawn")
    go = ctx.Barrier(6)  # all start writing together, once imported and connected
    procs = [ctx.Process(target=_ingest, args=(url, w, go)) for w in range(3)]
    procs.append(ctx.Process(target=_detect, args=(url, go)))
    procs += [ctx.Process(target=_review, args=(url, r, ids, go)) for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
    assert [p.exitcode for p in procs] == [0] * len(procs)

    s = open_store(url)
    a = SQLAlertStore(s)
    assert s.count_items() == 3 * N_INGEST + 1
    assert len({i["id"] for i in s.search_items()}) == 3 * N_INGEST + 1
    job = s.get_job("detect-1")
    assert job.state == "done" and job.progress["done"] == list(range(N_CHUNKS))
    # each shared alert went to review exactly once; each of the others twice
    n_reviews = sum(len(a.reviews(aid)) for aid in ids)
    assert n_reviews == SHARED + 2 * (N_ALERTS - SHARED)
    assert all(len(a.reviews(aid)) == 1 for aid in ids[:SHARED])
    assert {x.status.value for x in a.find_alerts()} == {"under_review", "confirmed"}
    entries = list(a.iter_audit())
    assert len(entries) == N_ALERTS + n_reviews
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert verify_chain(entries).ok
