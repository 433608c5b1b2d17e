"""The runtime the commands run in, and the unit of work: one command, one transaction.

Following "Architecture Patterns with Python": the unit of work commits explicitly; leaving
the block without a commit rolls everything back, so a failed command writes nothing.
A unit of work given a `RetryKey` acts at most once per key (engine/cases/idempotency.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine.audit.log import Operator
from engine.cases.history import AUDIT_KEY_INFO, UNCONFIGURED_KEY
from engine.cases.idempotency import AlreadyDone, KeyReused, RetryKey, is_key_conflict, remember, replayed
from engine.cases.outcome import Outcome
from engine.cases.records import is_stale_version
from engine.cases.registry import DefinitionRegistry, load_stored, read_generation, refresh, sync_definitions
from engine.errors import DefinitionError, StaleVersion
from engine.org.chart import OrgChart
from engine.store.db import make_engine, make_sessionmaker
from engine.time.calendar import WorkingCalendar, get_calendar
from engine.time.clock import Clock, SystemClock
from workflows.definition import Definition
from workflows.loader import DEFINITIONS_DIR, load_all

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    engine: Engine
    sessions: sessionmaker
    clock: Clock = field(default_factory=SystemClock)
    registry: DefinitionRegistry = field(default_factory=DefinitionRegistry)
    calendar_provider: Callable[[], WorkingCalendar] = get_calendar
    org_chart_ttl_s: float = 60.0
    # Keys every hash chain (engine.cases.history); from the app's secret, never from the database.
    audit_key: bytes = UNCONFIGURED_KEY
    # Bytes of evidence the people of one unit may upload in all (None: no limit): engine.cases.evidence.check_quota.
    evidence_quota_bytes: int | None = None
    # How often (seconds) `refresh_definitions` reads the registry generation; 0: at every call.
    registry_check_s: float = 2.0
    _chart: tuple[float, OrgChart] | None = field(default=None, init=False, repr=False)
    _registry_checked: float | None = field(default=None, init=False, repr=False)
    _registry_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.sessions.configure(info={AUDIT_KEY_INFO: self.audit_key})

    @classmethod
    def from_url(
        cls, url: str, *, clock: Clock | None = None, audit_key: bytes | None = None, **engine_kwargs: object
    ) -> Runtime:
        engine = make_engine(url, **engine_kwargs)  # type: ignore[arg-type]
        return cls(engine=engine, sessions=make_sessionmaker(engine), clock=clock or SystemClock(),
                   audit_key=audit_key or UNCONFIGURED_KEY)  # fmt: skip

    @property
    def calendar(self) -> WorkingCalendar:
        return self.calendar_provider()

    def org_chart(self, session: Session) -> OrgChart:
        """The unit tree, cached: it is read on nearly every transition and changes rarely.

        This process drops it when it changes a unit; other processes see a change within
        `org_chart_ttl_s` seconds.
        """
        now = time.monotonic()
        if self._chart is None or now - self._chart[0] > self.org_chart_ttl_s:
            self._chart = (now, OrgChart.load(session))
        return self._chart[1]

    def forget_org_chart(self) -> None:
        self._chart = None

    def refresh_definitions(self, *, force: bool = False) -> list[str]:
        """Load the definition versions other processes recorded since this one last looked.

        Called before each web request, each scheduler job and each unit of work; at most every
        `registry_check_s` seconds it reads the registry generation (one primary-key read) and
        only when that moved reads and parses the new versions. Returns what was added.
        A database without the table yet (before `presscase db upgrade`) is not an error here.
        """
        now = time.monotonic()
        last = self._registry_checked
        if not force and last is not None and now - last < self.registry_check_s:
            return []
        if not self._registry_lock.acquire(blocking=False):
            return []  # another thread of this process is checking right now
        try:
            self._registry_checked = now
            with self.engine.execution_options(readonly=True).connect() as conn:
                generation = read_generation(conn)  # the whole cost when nothing changed
            if generation == self.registry.generation:
                return []
            with self.read_session() as session:
                added = refresh(session, self.registry, generation)
        except DBAPIError:
            log.warning("could not read the workflow registry generation", exc_info=True)
            return []
        finally:
            self._registry_lock.release()
        if added:
            log.info("workflow definitions loaded from the database: %s", ", ".join(added))
        return added

    def definition(self, session: Session, name: str, version: int) -> Definition | None:
        """A definition version from this registry, or loaded now from the database; None if neither has it."""
        return load_stored(session, self.registry, name, version)

    def uow(self, retry_key: RetryKey | None = None) -> UnitOfWork:
        return UnitOfWork(self, retry_key)

    def read_session(self) -> Session:
        """A session for queries; on SQLite it begins deferred so it never waits behind writers."""
        return Session(bind=self.engine.execution_options(readonly=True), expire_on_commit=False,
                       info={AUDIT_KEY_INFO: self.audit_key})

    def load_definitions(
        self, directory: str | None = None, refused: list[DefinitionError] | None = None, by: Operator | None = None
    ) -> list[str]:
        """Sync the definition files into the database and this registry; returns what was new.

        With `refused`, a file changed under a recorded version is reported there instead of
        raised, and the recorded version is served (what a starting web process wants).
        """
        files = load_all(directory or DEFINITIONS_DIR)
        with self.uow() as uow:
            recorded = sync_definitions(uow.session, self.registry, files, self.clock.now(), refused,
                                        by or Operator.system())
            uow.commit()
        return recorded


class UnitOfWork:
    """One command, one transaction.

    With a `retry_key` (given here, or set on the unit of work before the command commits), the
    command's commit also stores its Outcome under the key, and the block acts at most once per key:
    given at construction, a key already used raises `AlreadyDone` as the block is entered (nothing
    runs); otherwise whatever stops the command (the unique key refused at commit, or a stale version
    or a state that no longer allows the trigger, because a request with the same key got there
    first) is turned into `AlreadyDone` when the key's row exists after the rollback.
    """

    def __init__(self, runtime: Runtime, retry_key: RetryKey | None = None) -> None:
        self.runtime = runtime
        self.clock = runtime.clock
        self.registry = runtime.registry
        self.retry_key = retry_key
        self._calendar: WorkingCalendar | None = None

    @property
    def calendar(self) -> WorkingCalendar:
        if self._calendar is None:
            self._calendar = self.runtime.calendar
        return self._calendar

    def org_chart(self) -> OrgChart:
        return self.runtime.org_chart(self.session)

    def __enter__(self) -> UnitOfWork:
        self.runtime.refresh_definitions()  # a command files under the newest version another process loaded
        self.session: Session = self.runtime.sessions()
        if self.retry_key is not None:
            try:
                first = replayed(self.session, self.retry_key)
            except BaseException:
                self.session.close()
                raise
            if first is not None:
                self.session.close()
                raise AlreadyDone(first)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.session.rollback()
            if isinstance(exc, Exception) and not isinstance(exc, AlreadyDone | KeyReused):
                first = self._first_outcome()
                if first is not None:
                    raise AlreadyDone(first) from exc
        finally:
            self.session.close()

    def _first_outcome(self) -> Outcome | None:
        """After a rollback: the Outcome a request with this unit of work's key committed, if one did.

        KeyReused when that request was a different one. A lookup that fails itself (the database
        went away) answers None, so the caller sees the original error.
        """
        if self.retry_key is None:
            return None
        try:
            return replayed(self.session, self.retry_key)
        except KeyReused:
            raise
        except Exception:  # noqa: BLE001 - the original error is the one to report
            return None
        finally:
            self.session.rollback()  # the lookup's transaction (on SQLite a write lock) ends at once

    def commit(self, outcome: Outcome | None = None) -> None:
        """Commit; a concurrent change to the same case surfaces as StaleVersion, never as a 500.

        A case command passes its `outcome`: with a retry key it is stored in this same transaction,
        and when another request with the key committed first, everything is rolled back and
        `AlreadyDone` carries that request's Outcome.
        """
        try:
            if self.retry_key is not None:
                if outcome is None:
                    raise TypeError("a unit of work with a retry key commits a case command's Outcome")
                remember(self.session, self.retry_key, outcome, self.clock.now())
            self.session.commit()
        except StaleDataError as err:
            self.session.rollback()
            raise StaleVersion() from err
        except IntegrityError as err:
            self.session.rollback()
            if self.retry_key is not None and is_key_conflict(err):
                first = self._first_outcome()
                if first is not None:
                    raise AlreadyDone(first) from err
            if "case_events" in str(err.orig) or "uq_case_events" in str(err.orig) or is_stale_version(err):
                raise StaleVersion() from err
            raise
