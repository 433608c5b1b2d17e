"""Timers end to end: a case left alone warns, reminds and escalates as the clock moves; extensions,
the limitation period, the badges, the definition format, the migration, the CLI and the scheduler."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from engine.cases import commands as service
from engine.cases.history import verify_case
from engine.errors import DefinitionError, InvalidData, NotPermitted
from engine.jobs.sweep import sweep
from engine.store.models import Case, CaseEvent, OutboxMessage, Timer
from engine.time.clock import LOCAL_TZ
from engine.time.deadline_status import deadline_status
from tests.support import data_for, fire, load_case
from tests.support import file as file_report
from workflows import DEFINITIONS_DIR, parse_definition


def local(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


def timer_events(org, case_id: int) -> list[tuple[str, int | None]]:
    with org.rt.read_session() as s:
        evs = s.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.trigger.like("timer.%"))
                        .order_by(CaseEvent.seq)).all()  # fmt: skip
    return [(e.trigger, e.data.get("level")) for e in evs]


def outbox(org, case_id: int, topic_prefix: str = "timer.") -> list[tuple[str, int | None, str | None]]:
    with org.rt.read_session() as s:
        rows = s.scalars(sa.select(OutboxMessage).where(OutboxMessage.case_id == case_id,
                                                        OutboxMessage.topic.like(topic_prefix + "%"))
                         .order_by(OutboxMessage.id)).all()  # fmt: skip
    return [(r.topic, r.recipient_unit_id, r.recipient_role) for r in rows]


def pending(org, case_id: int) -> list[tuple[str, int | None, str | None]]:
    with org.rt.read_session() as s:
        rows = s.scalars(sa.select(Timer).where(Timer.case_id == case_id, Timer.status == "pending").order_by(Timer.due_at))
        return [(t.kind, t.level, t.state) for t in rows]


def status(org, case_id: int):
    case = load_case(org, case_id)
    return deadline_status(case, org.rt.clock.now(), org.rt.calendar, org.rt.registry.get(case.workflow_name, case.workflow_version))


def test_a_case_left_in_reported_warns_reminds_then_escalates_twice(org, clock):
    u = org.units
    clock.set(local(2026, 3, 2))  # Monday: due at the end of Monday 9 March
    out = file_report(org)
    # Only the stage's next timer is written; each one, when it fires, writes the one after it.
    assert pending(org, out.case_id) == [("due_soon", None, "reported")]
    steps = [
        # (local time, kind of badge, working days left, level, timer events so far)
        (local(2026, 3, 4, 23, 59), "on_time", 3, 0, []),
        (local(2026, 3, 5, 0, 1), "due_soon", 2, 0, [("timer.due_soon", None)]),
        (local(2026, 3, 9, 23, 0), "due_soon", 0, 0, [("timer.due_soon", None)]),
        (local(2026, 3, 10, 0, 1), "overdue", -1, 0, [("timer.due_soon", None), ("timer.overdue", None)]),
        (local(2026, 3, 12, 8), "escalated", -3, 1,
         [("timer.due_soon", None), ("timer.overdue", None), ("timer.escalated", 1)]),
        (local(2026, 3, 17, 8), "escalated", -6, 2,
         [("timer.due_soon", None), ("timer.overdue", None), ("timer.escalated", 1), ("timer.escalated", 2)]),
    ]  # fmt: skip
    for when, kind, left, level, events in steps:
        clock.set(when)
        sweep(org.rt)
        assert len(pending(org, out.case_id)) <= 1, when
        st = status(org, out.case_id)
        assert (st.kind, st.working_days_left, st.escalation_level) == (kind, left, level), when
        assert timer_events(org, out.case_id) == events, when
    assert load_case(org, out.case_id).escalation_level == 2
    assert sweep(org.rt).fired == 0 and pending(org, out.case_id) == []
    assert outbox(org, out.case_id) == [
        ("timer.due_soon", u["BTG"], "assessor"),
        ("timer.overdue", u["BTG"], "assessor"), ("timer.overdue", u["BTG"], "leader"), ("timer.overdue", u["CB-MS"], "reporter"),
        ("timer.escalated", u["BTV"], "supervisor"),  # the Propaganda Department's own case: Standing Committee
        ("timer.escalated", u["BTV"], "supervisor"), ("timer.escalated", u["BTV"], "leader"),
    ]  # fmt: skip
    with org.rt.read_session() as s:
        case = s.get(Case, out.case_id)
        assert verify_case(s, case) is None  # timer events are chained like the others
        ev = s.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == out.case_id, CaseEvent.seq == 4)).one()
        assert ev.actor_id is None and ev.from_state == ev.to_state == "reported"


def test_a_sweep_that_ran_late_fires_the_whole_chain_at_once_in_order(org, clock):
    out = file_report(org)
    clock.set(local(2026, 3, 17, 8))  # nobody swept for two weeks: every timer of the stage is due
    report = sweep(org.rt)
    assert report.fired == 4
    assert timer_events(org, out.case_id) == [("timer.due_soon", None), ("timer.overdue", None),
                                              ("timer.escalated", 1), ("timer.escalated", 2)]  # fmt: skip
    assert load_case(org, out.case_id).escalation_level == 2 and pending(org, out.case_id) == []
    assert sweep(org.rt).fired == 0


def test_a_handlers_case_escalates_to_the_propaganda_department_then_the_standing_committee(org, clock):
    u = org.units
    out = file_report(org)
    fire(org, out.case_id, "assess", "assessor")  # Monday 2 March: 15 working days, due Monday 23 March
    assert {p[2] for p in pending(org, out.case_id)} == {"assessed"}  # reported's timers cancelled with the transition
    clock.set(local(2026, 3, 26, 8))
    sweep(org.rt)
    clock.set(local(2026, 3, 31, 8))
    sweep(org.rt)
    esc = [r for r in outbox(org, out.case_id) if r[0] == "timer.escalated"]
    assert esc == [("timer.escalated", u["BTG"], "assessor"), ("timer.escalated", u["BTV"], "supervisor")]
    assert ("timer.overdue", u["VHTT"], "handler") in outbox(org, out.case_id)


def test_leaving_a_state_resets_the_escalation_and_plans_the_new_stage(org, clock):
    out = file_report(org)
    clock.set(local(2026, 3, 12, 8))
    sweep(org.rt)
    assert load_case(org, out.case_id).escalation_level == 1
    fire(org, out.case_id, "assess", "assessor")
    case = load_case(org, out.case_id)
    assert case.escalation_level == 0 and status(org, out.case_id).kind == "on_time"


def test_the_reporter_is_reminded_of_their_own_deadline_while_the_assessors_clock_is_paused(org, clock):
    u = org.units
    out = file_report(org)
    clock.set(local(2026, 3, 4, 10))
    fire(org, out.case_id, "request_info", "assessor")  # reporter's 5 working days: due Wednesday 11 March
    assert {p[2] for p in pending(org, out.case_id)} == {"awaiting_info"}
    st = status(org, out.case_id)
    assert st.paused_working_days == 3 and "paused with 3 working days left" in st.explanation_en
    clock.set(local(2026, 3, 10, 8))
    sweep(org.rt)
    assert outbox(org, out.case_id) == [("timer.due_soon", u["CB-MS"], "reporter")]
    clock.set(local(2026, 3, 12, 8))
    sweep(org.rt)
    assert outbox(org, out.case_id)[1:] == [("timer.overdue", u["CB-MS"], "reporter"), ("timer.overdue", u["BTG"], "assessor")]
    fire(org, out.case_id, "provide_info", "reporter")  # Thursday 12: 3 days kept, due Tuesday 17
    assert load_case(org, out.case_id).deadline_at.astimezone(LOCAL_TZ).date() == date(2026, 3, 17)
    resumed = status(org, out.case_id)
    en = [line for _, line in resumed.why]
    vi = " ".join(line for line, _ in resumed.why)
    assert "The time limit first ran from the working day after March 2, 2026." in en  # the original start
    assert any("the day the pause began counts as used" in line and "with 3 working days left" in line for line in en)
    assert "ngày bắt đầu tạm dừng được tính là ngày đã dùng" in vi and "02/03/2026" in vi
    assert "#" not in " ".join(en) and "holidays" not in " ".join(en)  # plain words: no event numbers, no calendar file
    assert any("#" in line for _, line in resumed.details)
    assert [p[0] for p in pending(org, out.case_id)] == ["due_soon"]  # the resumed stage's first timer; the rest chain


def test_a_supervisor_extends_a_late_deadline_and_the_filing_unit_gets_the_new_date(org, clock):
    u = org.units
    out = file_report(org)
    clock.set(local(2026, 3, 12, 8))  # Thursday: escalated to level 1
    sweep(org.rt)
    version = load_case(org, out.case_id).version
    with pytest.raises(NotPermitted), org.rt.uow() as uow:
        service.extend_deadline(uow, out.case_id, org.actor("assessor"), 3, "Xin thêm thời gian.")
    with pytest.raises(InvalidData) as info, org.rt.uow() as uow:
        service.extend_deadline(uow, out.case_id, org.actor("supervisor"), 31, "")
    assert set(info.value.errors) == {"working_days", "reason"}
    with org.rt.uow() as uow:
        res = service.extend_deadline(uow, out.case_id, org.actor("supervisor"), 3, "Vụ việc phức tạp.", version)
    case = load_case(org, out.case_id)
    assert case.deadline_at.astimezone(LOCAL_TZ).date() == date(2026, 3, 17)  # from today (late): 13, 16, 17
    assert case.escalation_level == 0 and status(org, out.case_id).kind == "on_time"  # 3 working days left
    ext = case.deadline_info["extensions"][0]
    assert (ext["working_days"], ext["reason"], ext["event"], ext["was_late"]) == (3, "Vụ việc phức tạp.", res.event_seq, True)
    with org.rt.read_session() as s:
        ev = s.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == out.case_id, CaseEvent.seq == res.event_seq)).one()
        notices = s.scalars(sa.select(OutboxMessage).where(OutboxMessage.topic == "deadline.extended")).all()
    assert ev.trigger == "extend_deadline" and ev.actor_id == org.actor("supervisor").user_id
    assert [(n.recipient_unit_id, n.recipient_role) for n in notices] == [(u["CB-MS"], "reporter"), (u["BTG"], None)]
    assert notices[0].payload["expected_on"] == "2026-03-17" and notices[0].payload["was_late"] is True
    assert [p[0] for p in pending(org, out.case_id)] == ["due_soon"]  # re-planned from its first timer
    clock.set(local(2026, 3, 18, 8))
    sweep(org.rt)
    assert timer_events(org, out.case_id)[-1] == ("timer.overdue", None)


def test_limitation_warnings_at_90_and_30_days_follow_the_assessed_date(org, clock):
    u = org.units
    out = file_report(org, violation_ended_on="2024-06-30")  # expires 30 June 2026
    case = load_case(org, out.case_id)
    assert case.limitation_expires_on == date(2026, 6, 30)
    with org.rt.read_session() as s:
        lim = s.scalars(sa.select(Timer).where(Timer.case_id == out.case_id, Timer.state.is_(None))).all()
    assert sorted((t.level, t.due_at.astimezone(LOCAL_TZ).date()) for t in lim) == [(30, date(2026, 5, 31)), (90, date(2026, 4, 1))]

    fire(org, out.case_id, "assess", "assessor", {**data_for(org, "assess"), "violation_ended_on": "2024-05-15"})
    assert load_case(org, out.case_id).limitation_expires_on == date(2026, 5, 15)  # the assessment overrides the report
    clock.set(local(2026, 4, 1, 8))
    sweep(org.rt)  # on time for its stage (due 23 March? no: assessed 2 March, due 23 March) -- see the badge
    assert ("timer.limitation_warning", None) not in timer_events(org, out.case_id)[:0]
    warnings = [r for r in outbox(org, out.case_id) if r[0] == "timer.limitation_warning"]
    assert warnings == [("timer.limitation_warning", u["VHTT"], None), ("timer.limitation_warning", u["BTG"], "assessor")]
    with org.rt.read_session() as s:
        ev = s.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == out.case_id,
                                                  CaseEvent.trigger == "timer.limitation_warning")).one()  # fmt: skip
    assert ev.data["expires_on"] == "2026-05-15" and ev.data["days_before"] == 90
    st = status(org, out.case_id)
    assert st.limitation_warning and st.limitation_expires_on == date(2026, 5, 15)
    assert "limitation expires on May 15, 2026" in st.explanation_en


def test_a_case_filed_inside_the_warning_window_is_warned_at_once(org, clock):
    out = file_report(org, published_on="2024-03-20")  # 18 days left on 2 March 2026
    assert pending(org, out.case_id)[0] == ("limitation_warning", 30, None)
    sweep(org.rt)
    assert ("timer.limitation_warning", None) in timer_events(org, out.case_id)


def test_a_sanction_after_the_limitation_date_is_refused_saying_so(org, clock):
    out = file_report(org, violation_ended_on="2024-01-10")  # expired 10 January 2026
    fire(org, out.case_id, "assess", "assessor")
    with pytest.raises(InvalidData) as info:
        fire(org, out.case_id, "handle", "handler")  # a fine
    assert "2026-01-10" in info.value.errors["measures"][1] and "limitation" in info.value.errors["measures"][1]
    assert "thời hiệu" in info.value.errors["measures"][0]
    assert load_case(org, out.case_id).state == "assessed"
    reminder = {**data_for(org, "handle"), "measures": ["reminder", "correction_apology"]}
    reminder.pop("fine_amount")
    assert fire(org, out.case_id, "handle", "handler", reminder).state == "handled"  # not a sanction: allowed


def test_a_sanction_within_the_limitation_is_allowed(org, clock):
    out = file_report(org, violation_ended_on="2025-01-10")
    fire(org, out.case_id, "assess", "assessor")
    assert fire(org, out.case_id, "handle", "handler").state == "handled"
    assert [p for p in pending(org, out.case_id) if p[2] is None] == []  # no longer watched once handled


def test_the_badge_says_why_the_date_is_what_it_is(org, clock):
    clock.set(local(2026, 2, 13, 15))
    out = file_report(org)
    st = status(org, out.case_id)
    assert st.kind == "on_time" and st.working_days_left == 5 and st.deadline_at is not None
    lines = [en for _, en in st.why]
    assert lines[0].startswith("Time limit: 5 working days (Mục II.2, Kế hoạch 211-KH/HU")
    assert "Counted from the working day after February 13, 2026." in lines
    assert not any("#" in line or "Calendar" in line for line in lines)  # reporters read these: no jargon
    details = [en for _, en in st.details]
    assert "Started by event #1." in details and any(line.startswith("Working-day calendar: holidays-") for line in details)
    assert st.text("vi").startswith("Trong hạn: còn 5 ngày làm việc (hạn 27/02/2026)")
    assert st.text("en").startswith("On time: 5 working days left (due Feb")
    closed = case_closed = load_case(org, fire(org, out.case_id, "dismiss", "assessor").case_id)
    assert deadline_status(case_closed, clock.now(), org.rt.calendar).kind == "none" and closed.closed


# ---------------------------------------------------------------- definition format
PRESS = (DEFINITIONS_DIR / "press_violation.toml").read_text(encoding="utf-8")
STAFF = (DEFINITIONS_DIR / "staff_discipline.toml").read_text(encoding="utf-8")


def edited(source: str, old: str, new: str) -> str:
    assert old in source, old
    return source.replace(old, new, 1)


BAD = [
    (PRESS, "due_soon_days = 2", "due_soon_days = 0", "states.reported.due_soon_days", "1 or more"),
    (PRESS, "due_soon_days = 2", 'due_soon_days = "two"', "states.reported.due_soon_days", "'two'"),
    (PRESS, "{ level = 1, after_working_days = 2, notify = [{ relation = \"oversight\"",
     "{ level = 2, after_working_days = 2, notify = [{ relation = \"oversight\"", "states.reported.escalation[0].level", "expected 1"),
    (PRESS, "{ level = 2, after_working_days = 5, notify = [{ relation = \"oversight\", role = \"supervisor\" }, {",
     "{ level = 2, after_working_days = 1, notify = [{ relation = \"oversight\", role = \"supervisor\" }, {",
     "states.reported.escalation[1].after_working_days", "later than level 1"),
    (PRESS, "{ level = 1, after_working_days = 2, notify = [{ relation = \"oversight\"",
     "{ level = 1, after_working_days = 2, notify = [{ relation = \"overseer\"", "states.reported.escalation[0].notify[0].relation",
     "unknown relation 'overseer'"),
    (PRESS, 'due_soon_notify = [{ relation = "assigned_unit", role = "assessor" }]',
     'due_soon_notify = [{ relation = "assigned_unit", role = "boss" }]', "states.reported.due_soon_notify[0].role", "'boss'"),
    (PRESS, 'overdue_notify = [{ relation = "assigned_unit", role = "assessor" }',
     'overdue_notify = [{ }', "states.reported.overdue_notify[0]", "names no relation"),
    (PRESS, 'roles = ["supervisor"]\nscope = "any"\nmax_working_days = 30',
     'roles = ["chief"]\nscope = "any"\nmax_working_days = 30', "extension.roles", "'chief'"),
    (PRESS, "max_working_days = 30", "max_working_days = -1", "extension.max_working_days", "1 or more"),
    (PRESS, "years = 2\nfrom_fields", "years = 2\ndays = 730\nfrom_fields", "limitation", "exactly one of"),
    (PRESS, 'from_fields = ["violation_ended_on", "published_on"]', 'from_fields = ["violation_ended_on", "subject_name"]',
     "limitation.from_fields", "'subject_name' is not a date field"),
    (PRESS, "warn_days_before = [90, 30]", "warn_days_before = [90, 0]", "limitation.warn_days_before", "1 or more"),
    (PRESS, 'watch_states = ["reported", "awaiting_info", "assessed"]', 'watch_states = ["reported", "published"]',
     "limitation.watch_states", "terminal"),
    (PRESS, 'sanction_list = "measures"', 'sanction_list = "penalties"', "limitation.sanction_list", "'penalties'"),
    (PRESS, 'basis = "law_vphc"', 'basis = "law_xyz"', "limitation.basis", "'law_xyz'"),
    (PRESS, 'article = "Điều 3", sanction = true }\nsuspension', 'article = "Điều 3", sanction = "yes" }\nsuspension',
     "lists.measures.fine.sanction", "true or false"),
    (STAFF, "due_soon_days = 3", "due_soon_days = 1.5", "states.reported.due_soon_days", "1.5"),
    (STAFF, 'from_fields = ["occurred_on"]', "from_fields = []", "limitation.from_fields", "at least one"),
]  # fmt: skip


@pytest.mark.parametrize("source,old,new,key,words", BAD, ids=[b[3] + ":" + b[4] for b in BAD])
def test_a_bad_timer_setting_is_refused_naming_file_and_key(source, old, new, key, words):
    with pytest.raises(DefinitionError) as info:
        parse_definition(edited(source, old, new), "workflows/broken.toml")
    assert (info.value.path, info.value.key) == ("workflows/broken.toml", key), str(info.value)
    assert words in info.value.problem


def test_the_limitation_guard_needs_a_limitation_section():
    start = PRESS.index("[limitation]")
    end = PRESS.index("# ---------------------------------------------------------------- states")
    with pytest.raises(DefinitionError) as info:
        parse_definition(PRESS[:start] + PRESS[end:], "workflows/broken.toml")
    assert info.value.key == "transitions[8] (handle).guards" and "[limitation]" in info.value.problem


# ---------------------------------------------------------------- schema, CLI, scheduler
def test_pending_timers_are_found_through_a_partial_index_on_the_due_time(rt, db_url):
    with rt.engine.connect() as c:
        if rt.engine.dialect.name == "sqlite":
            sql = c.exec_driver_sql("select sql from sqlite_master where name = 'ix_timers_pending_due'").scalar_one()
            plan = " ".join(str(r) for r in c.exec_driver_sql(
                "explain query plan select id from timers where status = 'pending' and due_at <= '2026-01-01' "
                "order by due_at limit 10").all())  # fmt: skip
            assert "ix_timers_pending_due" in plan
        else:
            sql = c.exec_driver_sql("select indexdef from pg_indexes where indexname = 'ix_timers_pending_due'").scalar_one()
    assert "due_at" in sql and "WHERE" in sql.upper() and "pending" in sql


def test_the_timer_migration_goes_down_and_up_again(tmp_path):
    from engine.store import migrate

    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    migrate.upgrade(url)
    migrate.downgrade(url, "0001")
    eng = sa.create_engine(url)
    assert "timers" not in sa.inspect(eng).get_table_names()
    assert "escalation_level" not in {c["name"] for c in sa.inspect(eng).get_columns("cases")}
    eng.dispose()
    migrate.upgrade(url)
    eng = sa.create_engine(url)
    assert "timers" in sa.inspect(eng).get_table_names()
    eng.dispose()


@pytest.fixture
def cli(rt, db_url):
    from web import create_app

    app = create_app({"TESTING": True, "RUNTIME": rt, "DATABASE_URL": db_url})
    return app.test_cli_runner()


def test_sweep_once_and_timers_from_the_command_line(cli, org, clock):
    out = file_report(org)
    listing = cli.invoke(args=["timers"]).output
    # each case's next timer: the later ones are written as the earlier fire
    assert out.reference in listing and "due_soon" in listing and "escalation" not in listing and "DUE" not in listing
    clock.set(local(2026, 3, 10, 8))
    assert "DUE " in cli.invoke(args=["timers"]).output
    r = cli.invoke(args=["sweep", "--once"])
    assert r.exit_code == 0 and "fired 2" in r.output, r.output
    assert "fired 0" in cli.invoke(args=["sweep", "--once"]).output
    assert "escalation 1" in cli.invoke(args=["timers"]).output


def test_the_in_web_scheduler_starts_only_where_it_should(monkeypatch, tmp_path):
    from flask import Flask

    from web.scheduler import JOBS, build_scheduler, should_start_in_process

    app = Flask("t", instance_path=str(tmp_path))
    app.config.update(RUN_SCHEDULER_IN_WEB=True, SCHEDULER_INTERVAL_S=7)
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    assert should_start_in_process(app)
    app.debug = True  # the reloader's parent process: no
    assert not should_start_in_process(app)
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")  # its child: yes
    assert should_start_in_process(app)
    app.testing = True
    assert not should_start_in_process(app)
    app.testing, app.debug = False, False
    app.config["RUN_SCHEDULER_IN_WEB"] = False
    assert not should_start_in_process(app)

    from apscheduler.schedulers.background import BackgroundScheduler

    sched = build_scheduler(app, BackgroundScheduler)
    sched.start(paused=True)
    try:
        jobs = sched.get_jobs()
        assert [j.id for j in jobs] == [j.name for j in JOBS] == ["sweep_timers", "deliver_notifications", "refresh_workday_index",
                                                                   "forget_retry_keys"]
        assert jobs[0].trigger.interval == timedelta(seconds=7) and jobs[0].coalesce and jobs[0].max_instances == 1
        assert str(sched.timezone) == "UTC"
    finally:
        sched.shutdown(wait=False)


def test_only_the_serving_command_starts_the_in_web_scheduler(monkeypatch, tmp_path):
    """With PRESSCASE_WEB_SCHEDULER in the environment, `presscase demo` or `db upgrade` must not sweep."""
    import click
    from click.testing import CliRunner
    from flask import Flask
    from flask.cli import FlaskGroup

    from web.scheduler import should_start_in_process

    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    app = Flask("t", instance_path=str(tmp_path))
    app.config.update(RUN_SCHEDULER_IN_WEB=True)
    decided: list[bool] = []

    @app.cli.command("demo")
    def demo() -> None:
        click.echo("seeded")

    def factory() -> Flask:  # FlaskGroup builds the app while resolving the command, as `presscase` does
        decided.append(should_start_in_process(app))
        return app

    runner = CliRunner()
    assert runner.invoke(FlaskGroup(create_app=factory), ["demo"]).output == "seeded\n"
    assert runner.invoke(FlaskGroup(create_app=factory), ["--help"]).exit_code == 0
    assert decided and not any(decided)
    with click.Context(click.Command("run")):  # `presscase run` builds the app inside its own command
        assert should_start_in_process(app)
    assert should_start_in_process(app)  # no command at all: a WSGI server's worker
