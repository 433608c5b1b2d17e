"""The shape of a workflow definition once parsed: frozen, so a loaded version cannot drift."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# own_unit: filed by the actor's unit; own_report: filed by the actor in person; assigned_unit: held by
# the actor's unit now; competent_unit: the actor's unit was made competent to handle it (and has not
# returned it); handling_unit: either of the last two.
SCOPES = ("any", "own_unit", "own_report", "assigned_unit", "competent_unit", "handling_unit")
DEADLINE_UNITS = ("working", "calendar")


@dataclass(frozen=True)
class LegalBasis:
    key: str
    document: str
    article: str = ""
    effective: str = ""

    def describe(self, article: str = "") -> str:
        art = article or self.article
        return f"{art}, {self.document}" if art else self.document


@dataclass(frozen=True)
class Deadline:
    days: int
    unit: str = "working"
    basis: str | None = None
    article: str = ""
    note: str = ""


@dataclass(frozen=True)
class Recipient:
    relation: str | None = None  # filing_unit, assigned_unit, or a name in [relations]
    role: str | None = None
    unit_type: str | None = None


@dataclass(frozen=True)
class Escalation:
    """Past the deadline by `after_working_days`, the case escalates to `level`, told to `notify`."""

    level: int
    after_working_days: int
    notify: tuple[Recipient, ...] = ()


@dataclass(frozen=True)
class TimerRules:
    """What a state's deadline sets off: a warning before it, a reminder at it, escalations after it."""

    due_soon_days: int | None = None
    due_soon_notify: tuple[Recipient, ...] = ()
    overdue_notify: tuple[Recipient, ...] = ()
    escalation: tuple[Escalation, ...] = ()


@dataclass(frozen=True)
class ExtensionPolicy:
    """Who may extend a stage deadline, by how much at most, and who is told the new date."""

    roles: tuple[str, ...]
    scope: str = "any"
    max_working_days: int = 30
    notify: tuple[Recipient, ...] = ()
    basis: str | None = None
    article: str = ""


@dataclass(frozen=True)
class LimitationRule:
    """The limitation period for sanctioning: counted in calendar days (or years) from a date in the facts.

    `from_fields` are tried in order (the first present wins); a later transition that records
    one of them (the assessment) overrides what the report said.
    """

    from_fields: tuple[str, ...]
    years: int | None = None
    days: int | None = None
    warn_days_before: tuple[int, ...] = ()
    watch_states: tuple[str, ...] = ()
    sanction_field: str | None = None
    sanction_list: str | None = None
    basis: str | None = None
    article: str = ""
    notify: tuple[Recipient, ...] = ()


@dataclass(frozen=True, eq=False)
class StateSpec:
    id: str
    label_vi: str
    label_en: str
    terminal: bool = False
    deadline: Deadline | None = None
    responsible: str | None = None
    pauses_clock_of: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    timers: TimerRules = field(default_factory=TimerRules)

    def label(self, lang: str = "vi") -> str:
        return self.label_vi if lang == "vi" else self.label_en


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    label_vi: str
    label_en: str
    required: bool = False
    required_if: dict[str, Any] | None = None
    choices: str | None = None  # name of a list in the definition
    unit_types: str | None = None  # name of a list of unit types
    max_length: int | None = None
    min: int | None = None
    max: int | None = None
    public: bool = False
    # Names an official acting in office (who decided or signed): the names in it are never masked
    # in the public register's texts (engine/read/redaction.py).
    official: bool = False

    def label(self, lang: str = "vi") -> str:
        return self.label_vi if lang == "vi" else self.label_en


@dataclass(frozen=True, eq=False)
class TransitionSpec:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    roles: tuple[str, ...]
    scope: str
    label_vi: str
    label_en: str
    fields: tuple[FieldSpec, ...] = ()
    assign: dict[str, str] | None = None
    guards: tuple[str, ...] = ()
    notify: tuple[Recipient, ...] = ()
    restart_deadline: bool = True
    # The unit types an actor's unit must be of to fire it (empty: any); a case filed where nobody can
    # act on it is refused rather than left with no one.
    unit_types: tuple[str, ...] = ()

    @property
    def creates(self) -> bool:
        return not self.sources

    def label(self, lang: str = "vi") -> str:
        return self.label_vi if lang == "vi" else self.label_en

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True, eq=False)
class Definition:
    """Hashed by identity: one parsed object per loaded version, so caches key on it safely."""

    name: str
    version: int
    label_vi: str
    label_en: str
    reference_prefix: str
    create_trigger: str
    states: dict[str, StateSpec]
    transitions: tuple[TransitionSpec, ...]
    roles: dict[str, dict[str, str]]
    relations: dict[str, dict[str, str]]
    # role -> its rules, each {scope, states?}; one matching rule is enough to see a case
    visibility: dict[str, tuple[dict[str, Any], ...]]
    lists: dict[str, dict[str, dict[str, Any]]]
    legal_basis: dict[str, LegalBasis]
    index: dict[str, tuple[str, ...]]
    fine_ceilings: dict[str, dict[str, Any]]
    confidentiality: dict[str, Any]
    checksum: str
    source: str
    path: str
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    extension: ExtensionPolicy | None = None
    limitation: LimitationRule | None = None
    # guard name -> its parameters from `[guards.<name>]` (workflows/guards.py declares them)
    guard_params: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.version)

    def label(self, lang: str = "vi") -> str:
        return self.label_vi if lang == "vi" else self.label_en

    def transition(self, trigger: str, source: str | None) -> TransitionSpec | None:
        for t in self.transitions:
            if t.trigger == trigger and (source in t.sources if source else t.creates):
                return t
        return None

    def transitions_from(self, state: str) -> list[TransitionSpec]:
        return [t for t in self.transitions if state in t.sources]

    @property
    def create_transition(self) -> TransitionSpec:
        t = self.transition(self.create_trigger, None)
        assert t is not None  # validated on load
        return t

    def choice_label(self, list_name: str, value: str, lang: str = "vi") -> str:
        item = self.lists.get(list_name, {}).get(value)
        if not item:
            return value
        return str(item.get(lang) or item.get("vi") or value)

    def sanction_measures(self) -> frozenset[str]:
        """The items of the limitation's measures list marked `sanction = true`."""
        if self.limitation is None or not self.limitation.sanction_list:
            return frozenset()
        items = self.lists.get(self.limitation.sanction_list, {})
        return frozenset(k for k, v in items.items() if v.get("sanction") is True)

    def basis_text(self, key: str | None, article: str = "") -> str:
        if not key or key not in self.legal_basis:
            return ""
        return self.legal_basis[key].describe(article)
