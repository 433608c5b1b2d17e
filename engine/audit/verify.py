"""The whole audit in one call: every case's chain, its row, its evidence, the reference series,
the administration's log and, when given, an anchor. What `presscase audit verify` runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import log as audit_log
from engine.audit.accounts import check_accounts
from engine.audit.anchor import Anchor, check_anchor
from engine.audit.case_rows import check_cases, reference_gaps
from engine.cases.history import ChainProblem, case_batches, check_chain, events_by_case, session_key
from engine.cases.registry import DefinitionRegistry
from engine.store.models import Attachment
from engine.time.calendar import WorkingCalendar


@dataclass
class AuditReport:
    cases: int = 0
    events: int = 0
    problems: list[ChainProblem] = field(default_factory=list)


def verify_database(
    session: Session,
    registry: DefinitionRegistry,
    calendar: WorkingCalendar,
    anchor: Anchor | None = None,
    batch: int = 500,
) -> AuditReport:
    key = session_key(session)
    report = AuditReport()
    for cases in case_batches(session, batch):
        with_files = set(session.scalars(select(Attachment.case_id).where(Attachment.case_id.in_([c.id for c in cases]))
                                         .distinct()))  # one query per batch, not per case  # fmt: skip
        histories = events_by_case(session, [c.id for c in cases])
        for case in cases:
            report.cases += 1
            events = histories[case.id]
            report.events += len(events)
            broken = check_chain(key, case, events)
            if broken is not None:
                report.problems.append(broken)  # the row checks would only repeat the break
                continue
            report.problems.extend(check_cases(session, registry, calendar, case, events, case.id in with_files))
    anchored = check_anchor(session, anchor) if anchor is not None else []
    said = {(p.reference, p.seq) for p in anchored}
    # A deleted case is a gap in its series and, when anchored, a missing chain: say it once, as the anchor does.
    report.problems.extend(p for p in reference_gaps(session) if (p.reference, p.seq) not in said)
    log_problems = audit_log.verify_log(session)
    report.problems.extend(log_problems)
    if not log_problems:  # replaying a broken log would only repeat its break as account differences
        report.problems.extend(check_accounts(session))
    report.problems.extend(anchored)
    return report
