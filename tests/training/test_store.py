"""The training tables: sessions and answers, the trainee role, conflicts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import raw_sql
from yvy.errors import ConflictError, NotFoundError
from yvy.training.model import Answer
from yvy.training.service import answer_case, class_results, session_report


def test_trainee_is_a_role_between_viewer_and_analyst(stores):
    from yvy.storage.users import SQLUserStore

    store, _ = stores
    users = SQLUserStore(store)
    tom = users.get_user("tom")
    assert tom.role == "trainee" and tom.has_role("viewer") and tom.has_role("trainee")
    assert not tom.has_role("analyst")
    assert users.get_user("ines").has_role("trainee")
    with pytest.raises(sa.exc.IntegrityError):  # the database refuses roles it does not know
        raw_sql(store, "UPDATE users SET role = 'chief' WHERE username = 'tom'")


def test_one_answer_per_case_and_none_after_finishing(stores, fresh_demo):
    _, trainings = stores
    s = trainings.start_session(fresh_demo.exercise_id, "tom")
    assert trainings.start_session(fresh_demo.exercise_id, "tom")["id"] == s["id"]  # resumes the open one
    case = trainings.get_exercise(fresh_demo.exercise_id).cases[0]
    a = Answer(case.id, case.truth_decision, case.truth_reason, case.truth_action, seconds=5)
    answer_case(trainings, s["id"], "tom", a)
    with pytest.raises(ConflictError, match="already answered"):
        answer_case(trainings, s["id"], "tom", a)
    with pytest.raises(NotFoundError):
        answer_case(trainings, s["id"], "vic", a)  # someone else's session
    trainings.finish_session(s["id"])
    other = trainings.get_exercise(fresh_demo.exercise_id).cases[1]
    with pytest.raises(ConflictError, match="finished"):
        answer_case(trainings, s["id"], "tom", Answer(other.id, "dismiss", "other", "none"))
    report = session_report(trainings, s["id"])
    assert report["score"]["answered"] == 1 and report["score"]["accuracy"] == 1.0
    assert trainings.start_session(fresh_demo.exercise_id, "tom")["id"] != s["id"]
    results = class_results(trainings, fresh_demo.exercise_id)
    assert [r["trainee"] for r in results["sessions"]] == ["tom", "tom"]


def test_unknown_ids_are_not_found(stores):
    _, trainings = stores
    with pytest.raises(NotFoundError):
        trainings.get_exercise("EX-nope")
    with pytest.raises(NotFoundError):
        trainings.start_session("EX-nope", "tom")


def test_store_implements_the_whole_port():
    import inspect

    from yvy.storage.training import SQLTrainingStore
    from yvy.training.ports import TrainingStore

    methods = [n for n, v in vars(TrainingStore).items() if inspect.isfunction(v) and not n.startswith("_")]
    public = [n for n, v in vars(SQLTrainingStore).items() if inspect.isfunction(v) and not n.startswith("_")]
    assert sorted(methods) == sorted(public)
    for name in methods:
        want = list(inspect.signature(getattr(TrainingStore, name)).parameters)
        assert list(inspect.signature(getattr(SQLTrainingStore, name)).parameters) == want, name
