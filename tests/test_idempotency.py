"""Safe retries (engine/cases/idempotency.py): a request with a retry key acts once, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.cases import commands as service
from engine.cases.idempotency import (
    AlreadyDone,
    BadRetryKey,
    KeyReused,
    RetryKey,
    fingerprint,
    replayed,
    user_scope,
)
from engine.cases.uow import Runtime
from engine.jobs.retry_keys import purge_retry_keys
from engine.org.actors import Actor
from engine.store.idempotency_models import RetryKeyRecord
from engine.store.models import Case, CaseEvent, OutboxMessage
from tests.support import REPORT, Org, case_in, data_for, file, load_case
from tests.test_web_fixtures import make_app


def _key(org: Org, who: str, key: str, body: dict[str, Any], path: str = "/reports/new") -> RetryKey:
    return RetryKey(user_scope(org.actor(who).user_id), key, fingerprint("POST", path, body))


def _counts(rt: Runtime) -> tuple[int, int, int, int]:
    with rt.read_session() as s:
        return (s.scalar(select(func.count()).select_from(Case)) or 0,
                s.scalar(select(func.count()).select_from(CaseEvent)) or 0,
                s.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
                s.scalar(select(func.count()).select_from(RetryKeyRecord)) or 0)  # fmt: skip


def _file(rt: Runtime, actor: Actor, retry: RetryKey | None, *, early: bool = False, body: dict[str, Any] | None = None
          ) -> service.Outcome:  # fmt: skip
    """File REPORT with the key given to the unit of work (early: checked on entry) or set on it inside (as views do)."""
    with rt.uow(retry if early else None) as uow:
        uow.retry_key = retry
        return service.file_report(uow, actor, "press_violation", body or dict(REPORT))


@pytest.mark.parametrize("early", [True, False], ids=["checked-on-entry", "refused-at-commit"])
def test_the_same_key_twice_files_one_case_and_answers_the_first_outcome(org: Org, early: bool) -> None:
    retry = _key(org, "reporter", "report-1", REPORT)
    with org.rt.read_session() as s:
        assert replayed(s, retry) is None
    first = _file(org.rt, org.actor("reporter"), retry, early=early)
    before = _counts(org.rt)
    with pytest.raises(AlreadyDone) as info:
        _file(org.rt, org.actor("reporter"), retry, early=early)
    assert info.value.outcome == first
    assert _counts(org.rt) == before  # no second case, event, message or key
    assert before[0] == 1 and before[3] == 1
    with org.rt.read_session() as s:
        assert replayed(s, retry) == first
    assert "đã được thực hiện" in info.value.message("vi") and "already" in info.value.message("en")
    # the refused attempt's reference number was rolled back with it: the next report takes the next one
    nxt = file(org)
    assert int(nxt.reference[-6:]) == int(first.reference[-6:]) + 1


def test_the_same_key_with_another_body_is_refused_with_422_and_writes_nothing(org: Org) -> None:
    first_body = dict(REPORT)
    other_body = {**REPORT, "description": "Một nội dung khác."}
    _file(org.rt, org.actor("reporter"), _key(org, "reporter", "k", first_body))
    before = _counts(org.rt)
    for early in (True, False):
        with pytest.raises(KeyReused) as info:
            _file(org.rt, org.actor("reporter"), _key(org, "reporter", "k", other_body), early=early, body=other_body)
        assert info.value.status == 422 and info.value.code == "idempotency_key_reused"
        assert "khác" in info.value.message("vi") and "different" in info.value.message("en")
    with org.rt.read_session() as s, pytest.raises(KeyReused):
        replayed(s, _key(org, "reporter", "k", other_body))
    assert _counts(org.rt) == before


def test_a_fire_retried_with_its_key_fires_once(org: Org) -> None:
    out = case_in(org, "reported")
    data = data_for(org, "assess")
    retry = _key(org, "assessor", "assess-once", data, f"/cases/{out.case_id}/act/assess")
    outcomes = []
    for _ in range(2):
        try:
            with org.rt.uow() as uow:
                uow.retry_key = retry  # no check on entry: the stale version meets the stored key
                outcomes.append(service.fire(uow, out.case_id, "assess", org.actor("assessor"), data, out.version))
        except AlreadyDone as done:
            outcomes.append(done.outcome)
    assert outcomes[0] == outcomes[1] and outcomes[0].state == "assessed"
    assert load_case(org, out.case_id).event_count == 2  # filed, assessed: once


def test_extension_and_superseding_evidence_store_their_outcome_too(org: Org) -> None:
    out = case_in(org, "assessed")
    sup = org.actor("supervisor")
    retry = _key(org, "supervisor", "extend-1", {"working_days": 3, "reason": "Cần thêm thời gian."})
    with org.rt.uow(retry) as uow:
        first = service.extend_deadline(uow, out.case_id, sup, 3, "Cần thêm thời gian.", out.version)
    with pytest.raises(AlreadyDone) as info, org.rt.uow() as uow:
        uow.retry_key = retry
        service.extend_deadline(uow, out.case_id, sup, 3, "Cần thêm thời gian.", out.version)
    assert info.value.outcome == first
    assert load_case(org, out.case_id).event_count == first.event_seq


def test_keys_of_different_people_never_meet(org: Org) -> None:
    a = _file(org.rt, org.actor("reporter"), _key(org, "reporter", "same", REPORT))
    b = _file(org.rt, org.actor("reporter_other"), _key(org, "reporter_other", "same", REPORT))
    assert a.case_id != b.case_id
    assert _counts(org.rt)[0] == 2


@pytest.mark.parametrize("bad", ["", "x" * 256, "khóa-tiếng-việt", "tab\there", "nul\x00"])
def test_a_malformed_key_is_refused_with_a_clear_422(bad: str) -> None:
    with pytest.raises(BadRetryKey) as info:
        RetryKey("user:1", bad, fingerprint("POST", "/x", b""))
    assert info.value.status == 422 and info.value.code == "idempotency_key_invalid"
    assert "ASCII" in info.value.message("vi") and "ASCII" in info.value.message("en")
    RetryKey("user:1", "x" * 255, fingerprint("POST", "/x", b""))  # the longest allowed
    RetryKey("user:1", "0f8fad5b-d9cb-469f-a165-70867728950e", fingerprint("POST", "/x", b""))


def test_the_fingerprint_is_of_method_path_and_canonical_body() -> None:
    body = {"a": 1, "b": ["x", "y"], "file": b"\x89PNG"}
    assert fingerprint("POST", "/p", body) == fingerprint("post", "/p", {"file": b"\x89PNG", "b": ["x", "y"], "a": 1})
    assert fingerprint("POST", "/p", body) != fingerprint("POST", "/q", body)
    assert fingerprint("POST", "/p", body) != fingerprint("PUT", "/p", body)
    assert fingerprint("POST", "/p", body) != fingerprint("POST", "/p", {**body, "file": b"other"})
    assert fingerprint("POST", "/p", b'{"a":1}') != fingerprint("POST", "/p", b'{"a": 2}')
    assert len(fingerprint("POST", "/p", b"")) == 64


def _race(runtimes: list[Runtime], work: Any) -> list[Any]:
    """Run `work(rt)` in one thread per runtime (each its own connection pool, as web workers have), all at once."""
    barrier = threading.Barrier(len(runtimes))
    results: list[Any] = []

    def run(rt: Runtime) -> None:
        barrier.wait()
        try:
            results.append(work(rt))
        except AlreadyDone as done:
            results.append(("again", done.outcome))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=run, args=(rt,)) for rt in runtimes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.fixture
def runtimes(org: Org, db_url: str, clock: Any) -> Any:
    extra = [Runtime.from_url(db_url, clock=clock) for _ in range(3)]
    for rt in extra:
        rt.load_definitions()
    yield [org.rt, *extra]
    for rt in extra:
        rt.engine.dispose()


def test_concurrent_reports_with_one_key_file_one_case(org: Org, runtimes: list[Runtime]) -> None:
    actor = org.actor("reporter")
    for round_no in range(3):
        retry = _key(org, "reporter", f"race-{round_no}", REPORT)
        results = _race(runtimes, lambda rt, retry=retry: _file(rt, actor, retry))
        done = [r for r in results if isinstance(r, service.Outcome)]
        again = [r[1] for r in results if isinstance(r, tuple)]
        assert len(done) == 1 and len(again) == len(runtimes) - 1, results
        assert all(o == done[0] for o in again)
    cases, events, _messages, keys = _counts(org.rt)
    assert cases == 3 and events == 3 and keys == 3


def test_concurrent_fires_with_one_key_fire_once(org: Org, runtimes: list[Runtime]) -> None:
    out = case_in(org, "reported")
    data = data_for(org, "request_info")
    retry = _key(org, "assessor", "ask-once", data, f"/cases/{out.case_id}/act/request_info")

    def work(rt: Runtime) -> service.Outcome:
        with rt.uow() as uow:
            uow.retry_key = retry
            return service.fire(uow, out.case_id, "request_info", org.actor("assessor"), data, out.version)

    results = _race(runtimes, work)
    done = [r for r in results if isinstance(r, service.Outcome)]
    again = [r[1] for r in results if isinstance(r, tuple)]
    assert len(done) == 1 and len(again) == len(runtimes) - 1, results
    assert all(o == done[0] for o in again)
    assert load_case(org, out.case_id).event_count == 2


def test_keys_expire_after_the_configured_hours(org: Org, clock: Any) -> None:
    old = _key(org, "reporter", "old", REPORT)
    _file(org.rt, org.actor("reporter"), old)
    clock.advance(hours=30)
    young = _key(org, "reporter", "young", REPORT)
    _file(org.rt, org.actor("reporter"), young)
    clock.advance(hours=19)  # "old" is 49 hours old, "young" 19
    assert purge_retry_keys(org.rt, 48) == 1
    with org.rt.read_session() as s:
        assert replayed(s, old) is None
        assert replayed(s, young) is not None
    with pytest.raises(ValueError):
        purge_retry_keys(org.rt, 12)  # kept at least a day, whatever the configuration says
    # a retry after its key was forgotten acts again, as a new request
    _file(org.rt, org.actor("reporter"), old)
    assert _counts(org.rt)[0] == 3


def test_the_scheduler_job_deletes_keys_past_presscase_idempotency_hours(org: Org, clock: Any,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from web.config import from_environment
    from web.scheduler import forget_retry_keys

    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    monkeypatch.setenv("PRESSCASE_IDEMPOTENCY_HOURS", "24")
    hours = from_environment("/nonexistent")["IDEMPOTENCY_HOURS"]
    assert hours == 24
    app = make_app(org.rt, IDEMPOTENCY_HOURS=hours)
    _file(org.rt, org.actor("reporter"), _key(org, "reporter", "a", REPORT))
    clock.advance(hours=23)
    forget_retry_keys(app)
    assert _counts(org.rt)[3] == 1
    clock.advance(hours=2)
    forget_retry_keys(app)
    assert _counts(org.rt)[3] == 0
    for bad in ("12", "many", "-5"):
        monkeypatch.setenv("PRESSCASE_IDEMPOTENCY_HOURS", bad)
        with pytest.raises(ValueError, match="PRESSCASE_IDEMPOTENCY_HOURS"):
            from_environment("/nonexistent")
    monkeypatch.delenv("PRESSCASE_IDEMPOTENCY_HOURS")
    assert from_environment("/nonexistent")["IDEMPOTENCY_HOURS"] == 48
