"""Anchors: a signed checkpoint of every chain head, kept outside the database, to check it against.

A keyed chain stops a writer who lacks the key from forging or rewriting events, but not from
deleting: the newest events of a case (then fixing the case row to the new last event), or a
whole case. An anchor written yesterday remembers each case's last event number and hash, the
number of cases and the audit log's head; any of those gone or different today is named.
It is HMAC-signed with the audit key, so it cannot be edited to match a shrunken database.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.audit import log as audit_log
from engine.audit.key import key_id
from engine.cases.history import ChainProblem, canonical_bytes, keyed_hash, session_key
from engine.store.audit_models import AuditEvent
from engine.store.models import Case, CaseEvent

FORMAT = "presscase-audit-anchor"
VERSION = 1


class AnchorError(Exception):
    """The file is not an anchor this key signed; says why in plain words."""


@dataclass(frozen=True)
class Anchor:
    created_at: str
    cases: int
    chains: list[tuple[str, int, str]]
    audit_log: tuple[int, str]


def _sign(key: bytes, body: dict[str, Any]) -> str:
    return keyed_hash(key, canonical_bytes([body]))


def make_anchor(session: Session, now: datetime, batch: int = 5000) -> dict[str, Any]:
    """Every case's (reference, last event number, head hash), the case count and the audit head, signed."""
    chains: list[list[Any]] = []
    last_id = 0
    while True:
        rows = session.execute(select(Case.id, Case.reference, Case.event_count, Case.last_event_hash)
                               .where(Case.id > last_id).order_by(Case.id).limit(batch)).all()  # fmt: skip
        if not rows:
            break
        chains.extend([ref, n, h] for _, ref, n, h in rows)
        last_id = rows[-1][0]
    seq, head_hash = audit_log.head(session)
    key = session_key(session)
    body: dict[str, Any] = {"format": FORMAT, "version": VERSION, "created_at": now.isoformat(), "key_id": key_id(key),
                            "cases": len(chains), "chains": chains, "audit_log": [seq, head_hash]}  # fmt: skip
    return {**body, "signature": _sign(key, body)}


def write_anchor(path: Path, anchor: dict[str, Any]) -> None:
    path.write_text(json.dumps(anchor, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def load_anchor(path: Path, key: bytes) -> Anchor:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise AnchorError(f"cannot read the anchor {path}: {err}") from err
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise AnchorError(f"{path} is not an audit anchor")
    signature = raw.pop("signature", "")
    if raw.get("key_id") != key_id(key):
        raise AnchorError(f"{path} was signed with another audit key (key id {raw.get('key_id')}, "
                          f"this installation's is {key_id(key)})")  # fmt: skip
    if not isinstance(signature, str) or not hmac.compare_digest(_sign(key, raw), signature):
        raise AnchorError(f"{path} was changed after it was signed (its signature does not match)")
    return Anchor(raw["created_at"], int(raw["cases"]), [(str(r), int(n), str(h)) for r, n, h in raw["chains"]],
                  (int(raw["audit_log"][0]), str(raw["audit_log"][1])))  # fmt: skip


def anchor_time(anchor: Anchor) -> str:
    return anchor.created_at[:16].replace("T", " ") + " UTC"


def check_anchor(session: Session, anchor: Anchor, batch: int = 500) -> list[ChainProblem]:
    """What the database lost or changed since the anchor was written, one problem per case."""
    out: list[ChainProblem] = []
    since = f"since the anchor of {anchor_time(anchor)}"
    for lo in range(0, len(anchor.chains), batch):
        part = anchor.chains[lo : lo + batch]
        ids = dict(session.execute(select(Case.reference, Case.id).where(Case.reference.in_([r for r, _, _ in part]))).all())
        heads: dict[tuple[int, int], str] = {}
        if ids:
            wanted = {(ids[r], n) for r, n, _ in part if r in ids}
            for cid, seq, h in session.execute(select(CaseEvent.case_id, CaseEvent.seq, CaseEvent.hash)
                                               .where(CaseEvent.case_id.in_(list(ids.values())),
                                                      CaseEvent.seq.in_({n for _, n, _ in part}))):  # fmt: skip
                if (cid, seq) in wanted:
                    heads[(cid, seq)] = h
        for ref, n, h in part:
            if ref not in ids:
                out.append(ChainProblem(None, ref, None, f"missing: the case was deleted {since} "
                                                         f"(it then had {n} events)"))  # fmt: skip
                continue
            if n == 0:
                continue
            now_hash = heads.get((ids[ref], n))
            if now_hash is None:
                out.append(ChainProblem(ids[ref], ref, n, f"missing: event {n} was the anchored head, and it is gone "
                                                          f"{since} (the history was truncated)"))  # fmt: skip
            elif now_hash != h:
                out.append(ChainProblem(ids[ref], ref, n, f"differs from the anchored head {since} "
                                                          f"(the history was rewritten)"))  # fmt: skip
    count = int(session.scalar(select(func.count()).select_from(Case)) or 0)
    if count < anchor.cases:
        out.append(ChainProblem(None, "cases", None, f"there are {count} cases, {anchor.cases - count} fewer than "
                                                     f"the anchor's {anchor.cases}"))  # fmt: skip
    seq, h = anchor.audit_log
    if seq:
        row = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))
        if row is None:
            out.append(ChainProblem(None, audit_log.LOG_NAME, seq, f"missing: it was the anchored head, and it is gone "
                                                                   f"{since} (the log was truncated)"))  # fmt: skip
        elif row != h:
            out.append(ChainProblem(None, audit_log.LOG_NAME, seq, f"differs from the anchored head {since} "
                                                                   f"(the log was rewritten)"))  # fmt: skip
    return out
