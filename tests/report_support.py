"""A district whose report figures are known by construction: cases driven through the engine by the clock.

Timeline (Hà Nội time; March 2026 has no public holiday; reporting months are calendar months):

  Mon 02/03 09:00  A, B, C, D filed by Mường So (false_information); E filed by Sin Suối Hồ
  Tue 03/03        C assessed -> VHTT (1 wd); E assessed -> Police as mission_deviation (1 wd)
  Wed 04/03        A assessed -> VHTT (2 wd)
  Mon 09/03        B dismissed (5 wd)
  Wed 11/03        A handled (5 wd after assessment: in time)
  Thu 12/03        A published
  Fri 13/03        E's handling deadline extended by 5 working days
  Sat 14/03 23:30  G filed (the last minute of a month cut off on the 14th)
  Sun 15/03 00:30  H filed (the first minutes of the next such month)
  Thu 26/03        C handled (17 wd: late, the limit is 15)
  Fri 27/03        E handled (18 wd: in time, 15 + 5 extended); then the sweep escalates D, G, H
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.cases import commands as service
from engine.jobs.sweep import sweep
from engine.time.clock import LOCAL_TZ, FrozenClock
from tests.support import Org, data_for, file, fire


def at(day: int, hour: int = 9, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ)


@dataclass
class Scenario:
    org: Org
    ids: dict[str, int]
    refs: dict[str, str]


def build(org: Org, clock: FrozenClock) -> Scenario:
    ids: dict[str, int] = {}
    refs: dict[str, str] = {}

    def filed(name: str, reporter: str = "reporter", **kw: object) -> None:
        out = file(org, reporter, **kw)
        ids[name], refs[name] = out.case_id, out.reference

    clock.set(at(2))
    for name in "ABCD":
        filed(name)
    filed("E", "reporter_other", violation_kind="mission_deviation", subject_name="Tạp chí Đời sống Miền núi")
    clock.set(at(3))
    fire(org, ids["C"], "assess", "assessor")
    fire(org, ids["E"], "assess", "assessor", {**data_for(org, "assess"), "confirmed_kind": "mission_deviation",
                                                "competent_unit": org.units["CA"]})  # fmt: skip
    clock.set(at(4))
    fire(org, ids["A"], "assess", "assessor")
    clock.set(at(9))
    fire(org, ids["B"], "dismiss", "assessor")
    clock.set(at(11))
    fire(org, ids["A"], "handle", "handler")
    clock.set(at(12))
    fire(org, ids["A"], "publish", "publisher")
    clock.set(at(13))
    with org.rt.uow() as uow:
        service.extend_deadline(uow, ids["E"], org.actor("supervisor"), 5, "Chờ kết quả xác minh của Sở.")
    clock.set(at(14, 23, 30))
    filed("G")
    clock.set(at(15, 0, 30))
    filed("H")
    clock.set(at(26))
    fire(org, ids["C"], "handle", "handler")
    clock.set(at(27))
    fire(org, ids["E"], "handle", "handler_police")
    sweep(org.rt)
    return Scenario(org, ids, refs)
