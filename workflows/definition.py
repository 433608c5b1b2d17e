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
    reporting: ReportingSpec | None = None
    register: RegisterSpec | None = None
    # state -> {vi, en}: what became of a case, said to the person who filed it (`[explanations]`)
    explanations: dict[str, dict[str, str]] = field(default_factory=dict)
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

    def explain(self, state: str, lang: str = "vi") -> str:
        """The `[explanations]` words for a state, or its label when the definition gives none."""
        words = self.explanations.get(state)
        if words:
            return words.get(lang) or words["vi"]
        spec = self.states.get(state)
        return spec.label(lang) if spec else state

    def field_spec(self, name: str) -> FieldSpec | None:
        """The first transition's field of that name (a field carries one meaning across a definition)."""
        return next((f for t in self.transitions for f in t.fields if f.name == name), None)

    def basis_text(self, key: str | None, article: str = "") -> str:
        if not key or key not in self.legal_basis:
            return ""
        return self.legal_basis[key].describe(article)


@dataclass(frozen=True)
class ReportingSpec:
    """`[reporting]`: what the dashboard and the periodic report count, named by this workflow's own words.

    The engine's figures (engine/read/figures.py) know no trigger or field of any workflow: which
    transitions mean a case was assessed, dismissed, handled or published, which state's deadline
    "handled within the deadline" measures, and which fields hold the kind, the measures and the
    amounts, are all read from here.
    """

    handling_state: str
    handled: tuple[str, ...]
    assessed: tuple[str, ...] = ()
    dismissed: tuple[str, ...] = ()
    published: tuple[str, ...] = ()
    kind_list: str | None = None
    kind_label_vi: str = "Loại"
    kind_label_en: str = "Kind"
    measures_field: str | None = None
    measures_list: str | None = None
    outcome_field: str | None = None
    outcome_list: str | None = None
    amount_field: str | None = None
    decision_number_field: str | None = None
    decision_date_field: str | None = None
    unit_types_list: str | None = None  # the units the dashboard offers to pick
    title_vi: str = ""  # the periodic report's title ("Kết quả tiếp nhận, xử lý ..."); the workflow's label when empty
    title_en: str = ""
    position: int = 100  # where the workflow comes among the dashboard's and the filing page's choices

    @property
    def decided(self) -> tuple[str, ...]:
        """The triggers of a first decision on a report (time to assess runs from filing to the first)."""
        return self.assessed + self.dismissed

    def kind_label(self, lang: str = "vi") -> str:
        return self.kind_label_vi if lang == "vi" else self.kind_label_en


@dataclass(frozen=True)
class RegisterSpec:
    """`[register]`: how a case of this workflow appears on the public register.

    Only fields marked `public = true` ever reach it; this section says which of them plays which
    part (the subject, the kind, the measures, the summary ...), which transitions publish, correct
    and withhold, and the register's title for this workflow.
    """

    published_state: str
    publish: tuple[str, ...]
    title_vi: str
    title_en: str
    correct: tuple[str, ...] = ()
    withhold: tuple[str, ...] = ()
    correction_field: str | None = None
    names_field: str | None = None  # a control on the publish form: names of individuals that may be shown
    decision_triggers: tuple[str, ...] = ()  # the unit that fired the last of these is the deciding body
    subject_field: str | None = None
    subject_type_field: str | None = None
    kind_field: str | None = None
    outcome_field: str | None = None
    measures_field: str | None = None
    summary_field: str | None = None
    decision_number_field: str | None = None
    decision_date_field: str | None = None
    legal_basis_field: str | None = None
    decided_by_field: str | None = None
    # measure key -> the public field that quantifies it (fine -> fine_amount)
    measure_amounts: dict[str, str] = field(default_factory=dict)

    def title(self, lang: str = "vi") -> str:
        return self.title_vi if lang == "vi" else self.title_en

    @property
    def slots(self) -> dict[str, str | None]:
        """Field name per part of a result; the public fields not named here are shown as they are."""
        return {
            "subject": self.subject_field, "subject_type": self.subject_type_field, "kind": self.kind_field,
            "outcome": self.outcome_field, "measures": self.measures_field, "summary": self.summary_field,
            "decision_number": self.decision_number_field, "decision_date": self.decision_date_field,
            "legal_basis": self.legal_basis_field, "decided_by": self.decided_by_field,
        }  # fmt: skip
