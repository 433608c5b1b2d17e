"""Helpers for tests: the demo organisation, and driving a case to any state through the engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine.cases import commands as service
from engine.cases.uow import Runtime
from engine.demo import UNITS
from engine.org import admin
from engine.org.actors import Actor
from engine.store.models import Case, Unit, User

PASSWORD = "mat-khau-thu-nghiem"

# username, unit code, roles
TEST_USERS = [
    ("reporter", "CB-MS", ["reporter"]),
    ("reporter_other", "CB-SSH", ["reporter"]),
    ("assessor", "BTG", ["assessor"]),
    ("handler", "VHTT", ["handler"]),
    ("handler_police", "CA", ["handler"]),
    ("publisher", "TTVH", ["publisher"]),
    ("leader", "TTVH", ["leader"]),
    ("supervisor", "BTV", ["supervisor"]),
    ("admin", "CNTT", ["admin"]),
]


@dataclass
class Org:
    rt: Runtime
    units: dict[str, int]
    actors: dict[str, Actor]

    def actor(self, name: str) -> Actor:
        return self.actors[name]

    def as_role(self, role: str, unit_code: str) -> Actor:
        """A real user with exactly one role in any unit (created on first use), for permission tables."""
        username = f"{role}.{unit_code.lower()}"
        if username not in self.actors:
            with self.rt.uow() as uow:
                admin.add_user(uow, username, username, unit_code, [role], PASSWORD)
            with self.rt.read_session() as s:
                self.actors[username] = Actor.from_user(s.scalar(select(User).where(User.username == username)))
        return self.actors[username]


def make_org(rt: Runtime) -> Org:
    for code, name, utype, parent in UNITS:
        with rt.uow() as uow:
            admin.add_unit(uow, code, name, utype, parent)
    for username, unit, roles in TEST_USERS:
        with rt.uow() as uow:
            admin.add_user(uow, username, username.replace("_", " ").title(), unit, roles, PASSWORD)
    with rt.read_session() as s:
        units = {u.code: u.id for u in s.scalars(select(Unit))}
        actors = {u.username: Actor.from_user(u) for u in s.scalars(select(User))}
    return Org(rt, units, actors)


REPORT = {
    "violation_kind": "false_information",
    "subject_name": "Trang Facebook \"Phong Thổ 24h\"",
    "subject_type": "social_account",
    "description": "Đăng tin sai sự thật về dịch bệnh ở xã Mường So.",
}


def data_for(org: Org, trigger: str) -> dict[str, Any]:
    """Valid data for each press_violation trigger."""
    return {
        "request_info": {"question": "Xin ảnh chụp bài đăng."},
        "provide_info": {"answer": "Đã gửi kèm ảnh."},
        "assess": {"confirmed_kind": "false_information", "severity": "high",
                   "competent_unit": org.units["VHTT"], "assessment_note": "Có dấu hiệu vi phạm."},
        "dismiss": {"reason": "unfounded", "note": "Không có căn cứ."},
        "return": {"reason": "Không thuộc thẩm quyền."},
        "reassign": {"competent_unit": org.units["VHTT"], "reason": "Chuyển lại."},
        "record_explanation": {"explanation": "Đã gỡ bài.", "received_on": "2026-03-03"},
        "handle": {"outcome": "measures", "measures": ["fine"], "fine_amount": 10_000_000,
                   "decision_number": "01/QĐ-XPHC", "decision_date": "2026-03-04",
                   "legal_basis": "Điều 10 NĐ 119/2020", "decided_by": "Chủ tịch UBND huyện", "summary": "Phạt tiền."},
        "publish": {"public_summary": "Đã xử phạt.", "channels": ["portal"]},
        "correct_publication": {"erratum": "Sửa số quyết định."},
        "withhold": {"reason": "Đang điều tra."},
        "reopen": {"reason": "Có tình tiết mới."},
    }[trigger]  # fmt: skip


# How to reach each state of press_violation from a fresh report: (trigger, actor) steps.
PATHS: dict[str, list[tuple[str, str]]] = {
    "reported": [],
    "awaiting_info": [("request_info", "assessor")],
    "assessed": [("assess", "assessor")],
    "handled": [("assess", "assessor"), ("handle", "handler")],
    "published": [("assess", "assessor"), ("handle", "handler"), ("publish", "publisher")],
    "dismissed": [("dismiss", "assessor")],
    "closed": [("assess", "assessor"), ("handle", "handler"), ("withhold", "supervisor")],
}


def file(org: Org, reporter: str = "reporter", **overrides: Any) -> service.Outcome:
    with org.rt.uow() as uow:
        return service.file_report(uow, org.actor(reporter), "press_violation", {**REPORT, **overrides})


def case_in(org: Org, state: str, **report: Any) -> service.Outcome:
    out = file(org, **report)
    for trigger, who in PATHS[state]:
        out = fire(org, out.case_id, trigger, who)
    return out


def fire(org: Org, case_id: int, trigger: str, who: str | Actor, data: dict[str, Any] | None = None,
         version: int | None = None) -> service.Outcome:
    actor = org.actor(who) if isinstance(who, str) else who
    with org.rt.uow() as uow:
        return service.fire(uow, case_id, trigger, actor, data_for(org, trigger) if data is None else data, version)


def load_case(org: Org, case_id: int) -> Case:
    with org.rt.read_session() as s:
        return s.get(Case, case_id)  # type: ignore[return-value]
