"""The service layer: what a command writes, and what it refuses without writing anything."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from engine.cases import commands as service
from engine.cases.evidence import Upload
from engine.errors import InvalidData, NotFound, NotPermitted
from engine.read import queries
from engine.store.models import Attachment, Case, CaseEvent, OutboxMessage
from engine.time.clock import LOCAL_TZ
from tests.support import REPORT, case_in, file, fire, load_case

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def count(org, model) -> int:
    with org.rt.read_session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_filing_gives_a_yearly_reference_and_assigns_the_intake_body(org):
    a = file(org)
    b = file(org, reporter="reporter_other")
    assert re.fullmatch(r"PA-2026-\d{6}", a.reference)
    assert int(b.reference[-6:]) == int(a.reference[-6:]) + 1
    case = load_case(org, a.case_id)
    assert case.state == "reported"
    assert case.filing_unit_id == org.units["CB-MS"]
    assert case.assigned_unit_id == org.units["BTG"]  # the propaganda department, found by unit type
    assert case.kind == "false_information" and case.subject.startswith("Trang Facebook")


def test_reference_numbers_restart_each_year(org, clock):
    first = file(org)
    clock.set(datetime(2027, 1, 4, 2, tzinfo=UTC))
    nxt = file(org)
    assert first.reference.startswith("PA-2026-") and nxt.reference == "PA-2027-000001"


def test_invalid_data_names_each_field_in_both_languages_and_writes_nothing(org):
    before = (count(org, Case), count(org, CaseEvent), count(org, OutboxMessage))
    bad = {**REPORT, "violation_kind": "gossip", "subject_name": "", "link": "javascript:alert(1)",
           "published_on": "31/02/2026", "surprise": "x"}  # fmt: skip
    with pytest.raises(InvalidData) as info, org.rt.uow() as uow:
        service.file_report(uow, org.actor("reporter"), "press_violation", bad)
    errors = info.value.errors
    assert set(errors) == {"violation_kind", "subject_name", "link", "published_on", "surprise"}
    assert errors["subject_name"] == ("Bắt buộc nhập.", "Required.")
    assert "http" in errors["link"][1]
    assert info.value.status == 422
    assert (count(org, Case), count(org, CaseEvent), count(org, OutboxMessage)) == before


def test_max_length_is_enforced(org):
    with pytest.raises(InvalidData) as info:
        file(org, subject_name="x" * 301)
    assert info.value.errors["subject_name"][1] == "At most 300 characters."


def test_conditional_fields_and_fine_ceiling(org):
    case = case_in(org, "assessed")
    with pytest.raises(InvalidData) as info:
        fire(org, case.case_id, "handle", "handler", {"outcome": "measures", "measures": ["fine", "suspension"],
             "decision_number": "1", "decision_date": "2026-03-03", "legal_basis": "x", "decided_by": "y", "summary": "z"})
    assert set(info.value.errors) == {"fine_amount", "suspension_months"}

    data = {"outcome": "measures", "measures": ["fine"], "fine_amount": "60.000.000", "decision_number": "1",
            "decision_date": "03/03/2026", "legal_basis": "x", "decided_by": "y", "summary": "z"}  # fmt: skip
    with pytest.raises(InvalidData) as info:
        fire(org, case.case_id, "handle", "handler", data)
    vi, en = info.value.errors["fine_amount"]
    assert "50.000.000 đồng" in vi and "Nghị định 119/2020" in vi and "50,000,000 VND" in en
    assert load_case(org, case.case_id).state == "assessed"

    out = fire(org, case.case_id, "handle", "handler", {**data, "fine_amount": "50.000.000"})
    assert out.state == "handled"
    with org.rt.read_session() as s:
        ev = s.scalar(select(CaseEvent).where(CaseEvent.case_id == case.case_id, CaseEvent.trigger == "handle"))
    assert ev.data["fine_amount"] == 50_000_000 and ev.data["decision_date"] == "2026-03-03"


def test_handle_assigns_the_publishing_body_and_keeps_the_handling_unit(org):
    out = case_in(org, "handled")
    case = load_case(org, out.case_id)
    assert case.assigned_unit_id == org.units["TTVH"]
    assert case.handling_unit_id == org.units["VHTT"]


def test_outbox_rows_are_written_with_the_transition_for_each_recipient(org):
    out = case_in(org, "assessed")
    with org.rt.read_session() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.case_id == out.case_id).order_by(OutboxMessage.id)).all()
    got = [(r.topic, r.recipient_unit_id, r.recipient_role) for r in rows]
    assert got == [
        ("transition.file", org.units["BTG"], "assessor"),
        ("transition.assess", org.units["VHTT"], "handler"),
        ("transition.assess", org.units["CB-MS"], "reporter"),
    ]
    assert all(r.status == "pending" and r.payload["reference"] == out.reference for r in rows)
    assert all("reporter_id" not in r.payload for r in rows)


def test_confidential_reporter_is_hidden_from_handlers_but_not_assessors(org, rt):
    out = case_in(org, "assessed", confidential=True)
    with rt.read_session() as s:
        for_handler = queries.case_view(s, rt.registry, org.actor("handler"), out.case_id)
        for_assessor = queries.case_view(s, rt.registry, org.actor("assessor"), out.case_id)
    assert for_handler.reporter_name is None and not for_handler.reporter_visible
    assert for_handler.filing_unit_name == "Chi bộ, đảng bộ cơ sở"
    assert for_handler.events[0].actor_name == "Chi bộ, đảng bộ cơ sở"
    assert "Reporter" not in {e.actor_name for e in for_handler.events}
    assert for_assessor.reporter_name == "Reporter"
    assert for_assessor.filing_unit_name == "Đảng bộ xã Mường So"


def test_cases_an_actor_may_not_see_are_not_found(org, rt):
    out = case_in(org, "reported")
    with rt.read_session() as s, pytest.raises(NotFound):
        queries.case_view(s, rt.registry, org.actor("reporter_other"), out.case_id)
    with pytest.raises(NotFound):
        fire(org, out.case_id, "provide_info", "reporter_other", {"answer": "x"})
    with pytest.raises(NotFound):
        fire(org, 999_999, "assess", "assessor")


def test_deadline_counts_working_days_across_tet(org, clock):
    # Friday 13 Feb 2026, 15:00 local; Tết closes 16-20 Feb: 5 working days end on Friday 27 Feb.
    clock.set(datetime(2026, 2, 13, 15, 0, tzinfo=LOCAL_TZ))
    out = file(org)
    case = load_case(org, out.case_id)
    assert case.deadline_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") == "2026-02-27 23:59"
    assert case.deadline_info["unit"] == "working" and case.deadline_info["days"] == 5
    assert "211-KH/HU" in case.deadline_info["basis"]
    assert case.deadline_info["calendar"].startswith("holidays-")


def test_awaiting_information_pauses_the_assessors_clock(org, clock):
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ))  # Monday: due Monday 9 March
    out = file(org)
    clock.set(datetime(2026, 3, 4, 10, 0, tzinfo=LOCAL_TZ))  # Wednesday: 3 working days left (Thu, Fri, Mon)
    fire(org, out.case_id, "request_info", "assessor")
    waiting = load_case(org, out.case_id)
    assert waiting.deadline_info["paused"]["remaining_working_days"] == 3
    clock.set(datetime(2026, 3, 16, 10, 0, tzinfo=LOCAL_TZ))  # answered the following Monday
    fire(org, out.case_id, "provide_info", "reporter")
    case = load_case(org, out.case_id)
    assert case.deadline_at.astimezone(LOCAL_TZ).date().isoformat() == "2026-03-19"  # Tue, Wed, Thu
    assert case.deadline_info["resumed_after_pause"] is True


def test_evidence_is_fingerprinted_in_the_history_and_kept_as_received(org):
    with org.rt.uow() as uow:
        out = service.file_report(uow, org.actor("reporter"), "press_violation", REPORT,
                                  [Upload("ảnh chụp màn hình.png", PNG)])
    with org.rt.read_session() as s:
        att = s.scalar(select(Attachment).where(Attachment.case_id == out.case_id))
        ev = s.scalar(select(CaseEvent).where(CaseEvent.case_id == out.case_id))
        content = att.content
    import hashlib

    assert att.filename == "ảnh chụp màn hình.png" and att.content_type == "image/png"
    assert att.sha256 == hashlib.sha256(PNG).hexdigest() and content == PNG
    assert ev.data["evidence"][0]["sha256"] == att.sha256 and ev.data["evidence"][0]["size"] == len(PNG)


def test_evidence_type_is_checked_on_the_content_not_the_name(org):
    with pytest.raises(InvalidData) as info, org.rt.uow() as uow:
        service.file_report(uow, org.actor("reporter"), "press_violation", REPORT,
                            [Upload("bang-chung.pdf", b"MZ\x90\x00 this is an executable")])
    assert "evidence" in info.value.errors
    assert count(org, Case) == 0


def test_only_reporters_file_and_only_for_their_own_unit(org):
    with pytest.raises(NotPermitted), org.rt.uow() as uow:
        service.file_report(uow, org.actor("assessor"), "press_violation", REPORT)


def test_the_second_workflow_runs_on_the_same_engine(org):
    leader = org.actor("leader")
    with org.rt.uow() as uow:
        out = service.file_report(uow, leader, "staff_discipline",
                                  {"staff_member": "Phóng viên A", "misconduct": "ethics", "description": "x"})
    assert out.reference.startswith("KL-2026-")
    assert load_case(org, out.case_id).assigned_unit_id == org.units["TTVH"]
    for trigger, data in [("verify", {"findings": "Đúng"}), ("decide", {"sanction": "reprimand", "decision_number": "5/QĐ"}),
                          ("close", {})]:
        out = fire(org, out.case_id, trigger, leader, data)
    assert out.state == "closed"
    with pytest.raises(NotFound):  # a party cell's reporter did not file it: it does not exist for them
        fire(org, out.case_id, "close", "reporter", {})
    with org.rt.uow() as uow, pytest.raises(NotPermitted):  # nobody in a party cell could act on it
        service.file_report(uow, org.actor("reporter"), "staff_discipline",
                            {"staff_member": "Phóng viên A", "misconduct": "ethics", "description": "x"})


def test_worklist_filters_sorts_and_paginates_in_the_database(org, rt, clock):
    outs = []
    for i in range(7):
        clock.advance(days=1)
        outs.append(file(org, subject_name=f"Trang tin số {i}"))
    assessor = org.actor("assessor")
    with rt.read_session() as s:
        page1 = queries.worklist(s, rt.registry, assessor, clock.now(), per_page=3)
        page3 = queries.worklist(s, rt.registry, assessor, clock.now(), page=3, per_page=3)
        found = queries.worklist(s, rt.registry, assessor, clock.now(), queries.WorklistFilter(search="số 4"))
        by_ref = queries.worklist(s, rt.registry, assessor, clock.now(), queries.WorklistFilter(search=outs[2].reference))
        handler = queries.worklist(s, rt.registry, org.actor("handler"), clock.now())
    assert page1.total == 7 and page1.pages == 3
    assert [c.id for c in page1.items] == [o.case_id for o in outs[:3]]  # oldest deadline first
    assert [c.id for c in page3.items] == [outs[6].case_id]
    assert [c.subject for c in found.items] == ["Trang tin số 4"]
    assert [c.id for c in by_ref.items] == [outs[2].case_id]
    assert handler.total == 0
