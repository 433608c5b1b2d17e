"""Loaded workflow definitions, by name and version.

The files in `workflows/` are the newest versions; every version ever loaded is kept in the
database with its source, so a case created under version 1 keeps following version 1 after
version 2 is loaded, even once the file on disk has moved on (invariant 6).

A running process learns of a version another process recorded through the registry
generation (`registry_generation`, one row): every load that records a version advances it in
the same transaction, and `refresh` compares it with the number this process last loaded, so
the check costs one primary-key read and the parsing happens only when something changed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from engine.audit import log as audit_log
from engine.audit.log import Operator
from engine.errors import DefinitionError, NotFound
from engine.store.models import RegistryGeneration, WorkflowDefinitionRow
from workflows.definition import Definition
from workflows.loader import parse_definition


class DefinitionRegistry:
    """Definitions by (name, version), shared by a process's threads.

    `add` replaces the dict instead of changing it, so a request thread walking `all()` while
    another thread loads a new version never sees the dict change size under it.
    """

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, int], Definition] = {}
        # The registry generation (see `read_generation`) whose versions this registry holds; None: never read.
        self.generation: int | None = None

    def add(self, defn: Definition) -> None:
        self._by_key = {**self._by_key, defn.key: defn}

    def get(self, name: str, version: int) -> Definition:
        try:
            return self._by_key[(name, version)]
        except KeyError:
            raise NotFound(
                f"Workflow {name} version {version} is not loaded.",
                f"Chưa nạp quy trình {name} phiên bản {version}.",
            ) from None

    def latest(self, name: str) -> Definition:
        versions = [d for (n, _), d in self._by_key.items() if n == name]
        if not versions:
            raise NotFound(f"No workflow named {name}.", f"Không có quy trình {name}.")
        return max(versions, key=lambda d: d.version)

    def all(self) -> list[Definition]:
        return sorted(self._by_key.values(), key=lambda d: (d.name, d.version))

    def latest_all(self) -> list[Definition]:
        names = sorted({n for n, _ in self._by_key})
        return [self.latest(n) for n in names]

    def __contains__(self, key: tuple[str, int]) -> bool:
        return key in self._by_key


GENERATION_ROW = 1


def read_generation(conn: Connection | Session) -> int:
    """The registry generation now: one primary-key read (0 when the row is missing)."""
    value = conn.execute(select(RegistryGeneration.generation).where(RegistryGeneration.id == GENERATION_ROW)).scalar()
    return int(value or 0)


def bump_generation(session: Session) -> None:
    """Advance the generation in the caller's transaction (the one that records a version).

    The row is written by migration 0017; it is re-created here if someone emptied the table.
    """
    done = session.execute(
        update(RegistryGeneration).where(RegistryGeneration.id == GENERATION_ROW)
        .values(generation=RegistryGeneration.generation + 1)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not done:
        session.execute(insert(RegistryGeneration).values(id=GENERATION_ROW, generation=1))


def load_new_stored(session: Session, registry: DefinitionRegistry) -> list[str]:
    """Add every version the database records and this registry lacks; returns them ("name vN").

    Reads the (name, version) pairs first and the sources of the missing ones only.
    """
    missing = [(n, v) for n, v in session.execute(select(WorkflowDefinitionRow.name, WorkflowDefinitionRow.version))
               if (n, v) not in registry]  # fmt: skip
    added = []
    for name, version in missing:
        if load_stored(session, registry, name, version) is not None:
            added.append(f"{name} v{version}")
    return added


def refresh(session: Session, registry: DefinitionRegistry, generation: int | None = None) -> list[str]:
    """Load what other processes recorded since this registry last looked; returns what was added.

    Cheap when nothing changed: one primary-key read of the generation (or none, when the caller
    read it already). The generation is read before the rows, so a version recorded in between is
    loaded now or at the next check.
    """
    if generation is None:
        generation = read_generation(session)
    if generation == registry.generation:
        return []
    added = load_new_stored(session, registry)
    registry.generation = generation
    return added


def load_stored(session: Session, registry: DefinitionRegistry, name: str, version: int) -> Definition | None:
    """The version recorded in the database (another process loaded it since this one started), now added here."""
    if (name, version) in registry:
        return registry.get(name, version)
    row = session.scalars(
        select(WorkflowDefinitionRow).where(WorkflowDefinitionRow.name == name, WorkflowDefinitionRow.version == version)
    ).first()
    if row is None:
        return None
    defn = parse_definition(row.source, f"<database: {row.name} v{row.version}>")
    registry.add(defn)
    return defn


def sync_definitions(
    session: Session,
    registry: DefinitionRegistry,
    files: list[Definition],
    now: datetime,
    refused: list[DefinitionError] | None = None,
    by: Operator | None = None,
) -> list[str]:
    """Record new file versions in the database, refuse changed ones, and load every stored version.

    Returns what was newly recorded, for the CLI to report. A file changed under a version the
    database already holds raises, unless `refused` is given: then the error is appended there
    and the stored version is used, so a running service keeps serving its recorded workflows.
    The caller commits.
    """
    recorded = []
    for defn in files:
        row = session.scalars(
            select(WorkflowDefinitionRow).where(
                WorkflowDefinitionRow.name == defn.name, WorkflowDefinitionRow.version == defn.version
            )
        ).first()
        if row is None:
            session.add(
                WorkflowDefinitionRow(
                    name=defn.name, version=defn.version, checksum=defn.checksum, source=defn.source, loaded_at=now
                )
            )
            recorded.append(f"{defn.name} v{defn.version}")
            bump_generation(session)
            audit_log.record(session, by, "workflow.load", f"{defn.name} v{defn.version}",
                             {"checksum": defn.checksum}, now)
        elif row.checksum != defn.checksum:
            err = DefinitionError(
                defn.path,
                "workflow.version",
                f"version {defn.version} of {defn.name} is already loaded with different content; "
                f"give the changed definition a new version number",
            )
            if refused is None:
                raise err
            refused.append(err)
            continue
        registry.add(defn)
    session.flush()
    registry.generation = read_generation(session)
    load_new_stored(session, registry)
    return recorded
