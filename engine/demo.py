"""A realistic demo district (Phong Thổ, Lai Châu), seeded only through the engine's commands.

Cases are filed over the past weeks on a moving clock, so the demo shows deadlines that are
on time, due soon and overdue, and every state of each workflow's demo (a few requests for a correction
or reply among them).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from engine.audit.log import Operator
from engine.cases import commands as service
from engine.cases.evidence import Upload
from engine.cases.uow import Runtime
from engine.org import admin
from engine.org.actors import Actor
from engine.store.models import Unit, User
from engine.time.clock import FrozenClock

DEMO = Operator.system("demo")  # who the audit log says set the demo district up
UNITS = [
    # code, name, type, parent
    ("HU", "Huyện ủy Phong Thổ", "party_committee", None),
    ("BTV", "Ban Thường vụ Huyện ủy", "standing_committee", "HU"),
    ("BTG", "Ban Tuyên giáo Huyện ủy", "propaganda_department", "HU"),
    ("UBND", "Ủy ban nhân dân huyện Phong Thổ", "people_committee", "HU"),
    ("VHTT", "Phòng Văn hóa và Thông tin", "people_committee_office", "UBND"),
    ("TTRA", "Thanh tra huyện", "inspectorate", "UBND"),
    ("CA", "Công an huyện", "police", "UBND"),
    ("TTVH", "Trung tâm Văn hóa, Thể thao và Truyền thông", "media_centre", "UBND"),
    ("CNTT", "Bộ phận Công nghệ thông tin", "it_office", "UBND"),
    ("CB-TT", "Đảng bộ Thị trấn Phong Thổ", "party_cell", "HU"),
    ("CB-MS", "Đảng bộ xã Mường So", "party_cell", "HU"),
    ("CB-SSH", "Đảng bộ xã Sin Suối Hồ", "party_cell", "HU"),
    ("CB-DS", "Đảng bộ xã Dào San", "party_cell", "HU"),
    ("CB-KL", "Đảng bộ xã Khổng Lào", "party_cell", "HU"),
]

USERS = [
    # username, full name, unit, roles
    ("phananh", "Lò Văn Minh", "CB-MS", ["reporter"]),
    ("phananh2", "Vàng Thị Hoa", "CB-SSH", ["reporter"]),
    ("thamdinh", "Nguyễn Thị Thu Hà", "BTG", ["assessor"]),
    ("xuly", "Trần Văn Hùng", "VHTT", ["handler"]),
    ("congan", "Phạm Quốc Tuấn", "CA", ["handler"]),
    ("congkhai", "Lê Thị Mai", "TTVH", ["publisher", "reporter"]),
    ("lanhdao", "Hoàng Văn Sơn", "TTVH", ["leader"]),
    ("giamsat", "Đỗ Minh Đức", "BTV", ["supervisor"]),
    ("chuquan", "Vũ Thị Lan", "UBND", ["handler"]),
    ("quantri", "Quản trị hệ thống", "CNTT", ["admin"]),
]

SUBJECTS = [
    ("Trang tin điện tử tổng hợp \"Tin Tây Bắc 24h\"", "e_information_site", "newspaperisation"),
    ("Tài khoản Facebook \"Phong Thổ Online\"", "social_account", "false_information"),
    ("Tạp chí Đời sống Miền núi, chuyên trang điện tử", "magazine", "mission_deviation"),
    ("Nhóm Zalo \"Chợ Phong Thổ\"", "social_account", "inflammatory_information"),
    ("Phóng viên N.V.A (tự xưng)", "journalist", "abuse_of_title"),
    ("Kênh TikTok \"Lai Châu Review\"", "social_account", "unverified_information"),
    ("Báo điện tử X, chuyên mục Bạn đọc", "newspaper", "failure_to_correct"),
    ("Trang Facebook \"Hóng biến Tây Bắc\"", "social_account", "privacy_or_children"),
]

TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


@dataclass
class DemoResult:
    passwords: dict[str, str]
    cases: int


def seed_demo(rt: Runtime, cases: int = 32) -> DemoResult:
    """Units, one user per role (passwords returned once), and `cases` cases in every state."""
    passwords: dict[str, str] = {}
    real_clock = rt.clock
    # Start far enough back that the last case is filed before today: 32 cases take about 45 days
    # (20 h between filings, 6 h between the steps of one case).
    start = real_clock.now() - timedelta(hours=cases * 35)
    clock = FrozenClock(start)
    rt.clock = clock
    try:
        for code, name, utype, parent in UNITS:
            with rt.uow() as uow:
                admin.add_unit(uow, code, name, utype, parent, by=DEMO)
        for username, full_name, unit, roles in USERS:
            pw = secrets.token_urlsafe(9)
            with rt.uow() as uow:
                admin.add_user(uow, username, full_name, unit, roles, pw, email=f"{username}@phongtho.example", by=DEMO)
            passwords[username] = pw
        actors = _actors(rt)
        made = 0
        for i in range(cases):
            clock.advance(hours=20)
            made += _one_case(rt, actors, i)
        for i, path in enumerate(CORRECTION_PATHS):
            clock.advance(hours=5)
            made += _correction(rt, actors, i, path)
        return DemoResult(passwords, made)
    finally:
        rt.clock = real_clock


def holds_only_the_demo(rt: Runtime) -> bool:
    """Whether every account and unit is the demo's own: only then may demo passwords be reset.

    A real district may well have a user called `quantri` or `thamdinh`; resetting it by name
    would hand its password to whoever runs `presscase demo --new-passwords`.
    """
    with rt.read_session() as s:
        usernames = set(s.scalars(select(User.username)))
        codes = set(s.scalars(select(Unit.code)))
    return usernames == {u[0] for u in USERS} and codes <= {u[0] for u in UNITS}


def _actors(rt: Runtime) -> dict[str, Actor]:
    with rt.read_session() as s:
        users = s.scalars(select(User)).all()
        return {u.username: Actor.from_user(u) for u in users}


def _unit_id(rt: Runtime, code: str) -> int:
    with rt.read_session() as s:
        return s.scalar(select(Unit.id).where(Unit.code == code))  # type: ignore[return-value]


def _one_case(rt: Runtime, a: dict[str, Actor], i: int) -> int:
    """Case i ends in a state chosen by i, so every state appears several times."""
    if i % 11 == 10:
        with rt.uow() as uow:
            service.file_report(
                uow, a["lanhdao"], "staff_discipline",
                {"staff_member": "Phóng viên Đ.T.K", "misconduct": "unchecked_posting",
                 "description": "Đăng bản tin chưa qua biên tập viên duyệt lên trang của Trung tâm."},
            )  # fmt: skip
        return 1
    subject, subject_type, kind = SUBJECTS[i % len(SUBJECTS)]
    reporter = a["phananh"] if i % 3 else a["phananh2"]
    with rt.uow() as uow:
        out = service.file_report(
            uow, reporter, "press_violation",
            {
                "violation_kind": kind, "subject_name": subject, "subject_type": subject_type,
                "publication": "Bài đăng ngày gần đây", "link": f"https://example.invalid/bai-viet/{i}",
                "published_on": (rt.clock.now() - timedelta(days=3)).date().isoformat(),
                "description": "Bài viết đưa thông tin chưa kiểm chứng về việc thu hồi đất ở bản Pa Nậm Cúm, "
                "gây hoang mang trong nhân dân.",
                "confidential": i % 4 == 0,
            },
            [Upload("ảnh chụp màn hình.png", TINY_PNG)] if i % 2 == 0 else None,
        )  # fmt: skip
    path = ["assess", "explain", "handle", "publish", "request_info", "dismiss", "return", "withhold"][i % 8]
    steps = _steps(rt, i)
    stop_after = {"request_info": 1, "dismiss": 1, "assess": 1, "return": 2, "explain": 2, "handle": 3,
                  "publish": 4, "withhold": 4}[path]  # fmt: skip
    plan = steps[path][:stop_after] if path in steps else steps["main"][:stop_after]
    if i % 16 == 15:
        plan = steps["main"][:1]  # left freshly filed and untouched: overdue by now
    version = out.version
    for trigger, actor_name, data in plan:
        rt.clock.advance(hours=6)  # type: ignore[attr-defined]
        with rt.uow() as uow:
            version = service.fire(uow, out.case_id, trigger, a[actor_name], data, version).version
    return 1


# correction_request cases, one ending in each state: (the steps after the request)
CORRECTION_PATHS = [[], ["order"], ["order", "record_result"], ["refuse"]]
OUTLETS = [
    ("Báo điện tử X, chuyên mục Bạn đọc", "correction"),
    ("Trung tâm Văn hóa, Thể thao và Truyền thông huyện, bản tin truyền hình", "reply"),
    ("Tạp chí Đời sống Miền núi, chuyên trang điện tử", "correction_apology"),
    ("Báo điện tử Y, chuyên mục Pháp luật", "correction"),
]


def _correction(rt: Runtime, a: dict[str, Actor], i: int, path: list[str]) -> int:
    """A request that an outlet publish a correction or reply, filed by a party cell or the Propaganda Department."""
    outlet, kind = OUTLETS[i % len(OUTLETS)]
    with rt.uow() as uow:
        out = service.file_report(
            uow, a["phananh"] if i % 2 == 0 else a["thamdinh"], "correction_request",
            {"request_kind": kind, "outlet_name": outlet, "article": f"Bài \"Thu hồi đất ở bản Pa Nậm Cúm\", số {40 + i}",
             "content": "Bài viết nêu sai số hộ bị thu hồi đất; đề nghị cải chính: chỉ có 12 hộ, đã được bồi thường.",
             "confidential": i == 2},
        )  # fmt: skip
    steps = {
        "order": {"document_number": f"{20 + i}/UBND-VHTT",
                  "instruction": "Đăng cải chính ở vị trí tương ứng trong số gần nhất."},
        "refuse": {"reason": "unfounded", "note": "Thông tin đã đăng được xác minh là đúng."},
        "record_result": {"outcome": "complied", "corrected_on": rt.clock.now().date().isoformat(),
                          "placement": "Chuyên mục Bạn đọc, số ra gần nhất",
                          "public_summary": "Cơ quan báo chí đã đăng cải chính số hộ bị thu hồi đất."},
    }  # fmt: skip
    version = out.version
    for trigger in path:
        rt.clock.advance(hours=6)  # type: ignore[attr-defined]
        with rt.uow() as uow:
            version = service.fire(uow, out.case_id, trigger, a["chuquan"], steps[trigger], version).version
    return 1


def _steps(rt: Runtime, i: int) -> dict[str, list[tuple[str, str, dict]]]:
    handler_unit = _unit_id(rt, "CA" if i % 5 == 0 else "VHTT")
    handler = "congan" if i % 5 == 0 else "xuly"
    assess = ("assess", "thamdinh", {
        "confirmed_kind": SUBJECTS[i % len(SUBJECTS)][2], "severity": ["low", "medium", "high", "urgent"][i % 4],
        "competent_unit": handler_unit, "assessment_note": "Có dấu hiệu vi phạm, chuyển cơ quan có thẩm quyền xử lý.",
    })  # fmt: skip
    explain = ("record_explanation", handler, {
        "explanation": "Đơn vị chủ quản đã gỡ bài và có văn bản giải trình.", "received_on": rt.clock.now().date().isoformat(),
    })  # fmt: skip
    handle = ("handle", handler, {
        "outcome": "measures", "measures": ["fine", "content_removal"], "fine_amount": 15_000_000,
        "decision_number": f"{100 + i}/QĐ-XPHC", "decision_date": rt.clock.now().date().isoformat(),
        "legal_basis": "Điều 10 Nghị định 119/2020/NĐ-CP", "decided_by": "Chủ tịch UBND huyện",
        "summary": "Phạt tiền và buộc gỡ bỏ nội dung sai sự thật.",
    })  # fmt: skip
    publish = ("publish", "congkhai", {
        "public_summary": "Xử phạt vi phạm hành chính và buộc gỡ bỏ thông tin sai sự thật.", "channels": ["portal", "radio"],
    })  # fmt: skip
    return {
        "main": [assess, explain, handle, publish],
        "request_info": [("request_info", "thamdinh", {"question": "Đề nghị cung cấp ảnh chụp bài đăng và thời điểm đăng."})],
        "dismiss": [("dismiss", "thamdinh", {"reason": "unfounded", "note": "Nội dung đã được xác minh là đúng sự thật."})],
        "return": [assess, ("return", handler, {"reason": "Đối tượng ngoài địa bàn, không thuộc thẩm quyền."})],
        "withhold": [assess, explain, handle, ("withhold", "giamsat", {"reason": "Liên quan vụ án đang điều tra."})],
    }
