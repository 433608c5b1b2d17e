"""The API's request and response shapes, as pydantic models.

These models both validate what a client sends and generate the OpenAPI description
(web/api/spec.py), so the description cannot drift from what the server accepts. What a
transition's `data` may hold is not fixed here: it is the definition's fields, checked by the
engine (engine/cases/validation.py) and listed per case by `GET /cases/{id}/actions`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from web.forms import clean_text

MAX_ID = 2**31 - 1

# A query-string text: NFC, control characters dropped (PostgreSQL refuses NUL), as the pages' filters.
QueryText = Annotated[str, AfterValidator(lambda v: clean_text(v, 200).strip())]


class Strict(BaseModel):
    """Unknown members are refused: a misspelt `confirm_unstaffed` must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------ requests


class EvidenceUpload(Strict):
    """One evidence file, its bytes in base64; its type is read from the content, never from the name."""

    filename: str = Field(min_length=1, max_length=255, examples=["anh-chup.png"])
    content_base64: str = Field(min_length=1, max_length=14_000_000, description="The file's bytes, base64 (RFC 4648).")


class ReportRequest(Strict):
    """A new report: the creating transition's fields of the workflow (`GET /definitions/{name}`)."""

    workflow: str = Field(default="press_violation", min_length=1, max_length=80)
    data: dict[str, Any] = Field(default_factory=dict, description="Field name to value, as the definition declares.")
    evidence: list[EvidenceUpload] = Field(default_factory=list, max_length=11)
    confirm_unstaffed: bool = Field(default=False, description="Send it on although nobody active can act where it goes.")


class FireRequest(Strict):
    """An action on a case, made against the version the client last read (409 when it changed since)."""

    version: int = Field(ge=1, le=MAX_ID, description="The case's `version` the client saw.")
    data: dict[str, Any] = Field(default_factory=dict, description="The action's fields (`GET /cases/{id}/actions`).")
    evidence: list[EvidenceUpload] = Field(default_factory=list, max_length=11)
    confirm_unstaffed: bool = False


class CaseQuery(Strict):
    """Filters of the case list; the search (`q`) is the worklist's: case and diacritics ignored, 3 characters at least."""

    model_config = ConfigDict(extra="ignore")

    q: QueryText | None = Field(default=None, max_length=200, description="Part of the reference or subject.")
    workflow: QueryText | None = Field(default=None, max_length=80)
    state: QueryText | None = Field(default=None, max_length=40)
    kind: QueryText | None = Field(default=None, max_length=80)
    holding_unit: int | None = Field(default=None, ge=1, le=MAX_ID, description="Id of the unit holding the case.")
    status: Literal["all", "open", "finished"] = "all"
    overdue: bool = False
    scope: Literal["all", "my_work", "waiting"] = Field(
        default="all",
        description="all: every case you may see; my_work: waiting on you; waiting: yours to act on, held elsewhere.",
    )
    sort: Literal["newest", "deadline"] = Field(
        default="newest",
        description="newest filed first, or most urgent deadline first; my_work and waiting are always most urgent "
        "first, as on the worklist.",
    )
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=25, ge=1, le=100)


class DefinitionQuery(Strict):
    model_config = ConfigDict(extra="ignore")

    version: int | None = Field(default=None, ge=1, le=MAX_ID, description="A loaded version; the newest by default.")


class PublicQuery(Strict):
    model_config = ConfigDict(extra="ignore")

    q: QueryText | None = Field(default=None, max_length=200, description="A reference, or part of the subject.")
    kind: QueryText | None = Field(default=None, max_length=80)
    measure: QueryText | None = Field(default=None, max_length=80)
    year: int | None = Field(default=None, ge=2000, le=2100)
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=20, ge=1, le=100)


# ------------------------------------------------------------------ responses


class UnitRef(BaseModel):
    id: int
    name: str


class CaseSummary(BaseModel):
    """A case in a list: never who filed it (the holder, not the filer, is what a list shows)."""

    id: int
    reference: str
    workflow: str
    workflow_version: int
    state: str
    state_label: str
    version: int
    closed: bool
    kind: str | None
    severity: str | None
    subject: str | None
    deadline_at: datetime | None
    created_at: datetime
    updated_at: datetime
    holding_unit: UnitRef | None


class CasePage(BaseModel):
    items: list[CaseSummary]
    page: int
    per_page: int
    total: int = Field(description="Exact up to 1000; beyond it `total_capped` is true.")
    total_capped: bool
    has_next: bool


class Filer(BaseModel):
    """Who filed the case, as far as the caller may know: a confidential filer is only a kind of unit."""

    known: bool
    reporter_name: str | None
    unit_name: str
    unit_type: str


class EvidenceItem(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    received_at: datetime
    event_seq: int
    superseded: bool
    download: str = Field(description="Path of the file's download.")


class CaseDetail(CaseSummary):
    filer: Filer
    facts: dict[str, Any] = Field(description="The case's data, field name to value (the definition's fields).")
    evidence: list[EvidenceItem]


class HistoryEvent(BaseModel):
    seq: int
    trigger: str
    label: str
    from_state: str | None
    to_state: str
    at: datetime
    actor_name: str
    actor_unit_name: str
    data: dict[str, Any]


class History(BaseModel):
    case_id: int
    items: list[HistoryEvent]


class Choice(BaseModel):
    value: str
    label: str


class ActionField(BaseModel):
    name: str
    type: str = Field(description="string, text, url, choice, multichoice, date, integer, money, boolean, unit or reference.")
    label: str
    required: bool
    required_if: dict[str, Any] | None
    choices: list[Choice] | None
    max_length: int | None
    min: int | None
    max: int | None


class Action(BaseModel):
    trigger: str
    label: str
    to_state: str
    to_state_label: str
    fields: list[ActionField]
    path: str = Field(description="Where to POST it.")


class Actions(BaseModel):
    case_id: int
    version: int
    state: str
    items: list[Action]


class Outcome(BaseModel):
    """What a filing or an action did; a retried request with the same Idempotency-Key gets the first one again."""

    case_id: int
    reference: str
    state: str
    version: int
    event_seq: int


class UnitOut(BaseModel):
    id: int
    code: str
    name: str
    type: str
    type_label: str
    parent_id: int | None
    active: bool


class Units(BaseModel):
    items: list[UnitOut]


class DefinitionSummary(BaseModel):
    name: str
    version: int
    label: str
    latest: bool


class Definitions(BaseModel):
    items: list[DefinitionSummary]


class StateOut(BaseModel):
    id: str
    label: str
    terminal: bool
    responsible: str | None


class TransitionOut(BaseModel):
    trigger: str
    label: str
    from_states: list[str]
    to_state: str
    roles: list[str]
    fields: list[ActionField]


class DefinitionDetail(BaseModel):
    name: str
    version: int
    label: str
    latest: bool
    states: list[StateOut]
    transitions: list[TransitionOut]
    roles: dict[str, str]
    diagram_mermaid: str = Field(description="The state machine as a Mermaid stateDiagram-v2.")


class CorrectionOut(BaseModel):
    seq: int
    at: datetime
    text: str


class FingerprintOut(BaseModel):
    sha256: str
    content_type: str
    size: int


class PublicResultOut(BaseModel):
    reference: str
    published_at: datetime
    updated_at: datetime
    subject: str
    subject_type: str
    kind: str
    outcome: str
    measures: list[str]
    amounts: dict[str, int] = Field(description="Measure -> the amount recorded for it (fine -> VND).")
    workflow: str
    details: dict[str, Any] = Field(description="The other public fields of the result, by field name.")
    decision_number: str
    decision_date: date | None
    legal_basis: str
    decided_by: str
    deciding_body: str
    summary: str
    corrections: list[CorrectionOut]
    evidence: list[FingerprintOut]


class PublicResults(BaseModel):
    items: list[PublicResultOut]
    page: int
    per_page: int
    total: int
    total_capped: bool
    has_next: bool


class Me(BaseModel):
    username: str
    full_name: str
    unit: UnitRef | None
    roles: list[str]
    language: str


class FieldProblem(BaseModel):
    field: str
    detail: str


class Problem(BaseModel):
    """RFC 9457 problem details; `type` is stable per kind of error, `code` is the same as a word."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    code: str
    errors: list[FieldProblem] | None = None
    current_version: int | None = Field(default=None, description="On a stale version (409): the case's version now.")
