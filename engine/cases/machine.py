"""A workflow definition compiled into one shared `transitions` Machine.

One machine per definition version, fired on a small token that carries the case's state:
a machine per case costs ~19 KiB and seconds per 10,000 cases, `add_model` is quadratic and
holds strong references, and binding to ORM objects overwrites attributes (LIBRARY-NOTES.md).
`auto_transitions=False`, so no `to_<state>()` exists to bypass the guards.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

from transitions import EventData, Machine, Transition

from engine.cases import policy
from engine.errors import BrokenInvariant, NotAvailable, NotPermitted
from engine.org.actors import Actor
from engine.store.models import CaseRow
from workflows.definition import Definition, TransitionSpec

CREATE_STATE = "__new__"


class _Token:
    """What the machine fires on: a state and the transition taken, never an ORM object."""

    __slots__ = ("spec", "state")

    def __init__(self, state: str) -> None:
        self.state = state
        self.spec: TransitionSpec | None = None


class _DiagramModel:
    """GraphMachine binds helpers onto its model, so diagrams get a plain throwaway object."""


def _machine_spec(defn: Definition) -> tuple[list[str], list[dict[str, Any]]]:
    states = [CREATE_STATE, *defn.states]
    transitions = [
        {"trigger": t.trigger, "source": list(t.sources) or [CREATE_STATE], "dest": t.dest}
        for t in defn.transitions
    ]
    return states, transitions


class _Permits:
    """The machine's condition on one transition: the policy's role, unit-type and scope rule for it.

    Fired with `case=` (None when filing) and `actor=` keyword arguments, so a transition the actor
    may not fire does not happen, and `permitted` lists exactly what firing would accept.
    """

    __slots__ = ("spec",)

    def __init__(self, spec: TransitionSpec) -> None:
        self.spec = spec

    def __call__(self, event: EventData) -> bool:
        return policy.may_fire(self.spec, event.kwargs.get("case"), event.kwargs["actor"])


class _Taken:
    """After-callback: records on the token which transition the machine took."""

    __slots__ = ("spec",)

    def __init__(self, spec: TransitionSpec) -> None:
        self.spec = spec

    def __call__(self, event: EventData) -> None:
        token = cast(_Token, event.model)
        token.spec = self.spec


class CompiledMachine:
    """One definition version as a `transitions` Machine whose conditions carry the policy.

    Everything that asks "which transitions exist from here" or "which may this person fire"
    asks this object: the service when it fires, the case page for its buttons, the form lookup,
    the worklist's per-state conditions. Built once per definition version (definitions are
    frozen and hashed by identity), so per transition nothing is recomputed from the definition.
    """

    def __init__(self, defn: Definition) -> None:
        self.definition = defn
        states, _ = _machine_spec(defn)
        self.machine = Machine(model=None, states=states, transitions=[], initial=None, auto_transitions=False,
                               send_event=True)  # fmt: skip
        for t in defn.transitions:
            self.machine.add_transition(t.trigger, list(t.sources) or [CREATE_STATE], t.dest,
                                        conditions=[_Permits(t)], after=[_Taken(t)])  # fmt: skip
        # The machine's own transition objects per source state, with the definition's transition each
        # stands for, in definition order: what `permitted` checks and the lookups below read.
        order = {id(t): i for i, t in enumerate(defn.transitions)}
        self._from: dict[str, tuple[tuple[TransitionSpec, Transition], ...]] = {}
        for event in self.machine.events.values():
            for source, transitions in event.transitions.items():
                self._from[source] = self._from.get(source, ()) + tuple((_spec_of(tr), tr) for tr in transitions)
        for source, pairs in self._from.items():
            self._from[source] = tuple(sorted(pairs, key=lambda p: order[id(p[0])]))
        self._specs_from = {source: tuple(spec for spec, _ in pairs) for source, pairs in self._from.items()}
        self._triggers = frozenset(self.machine.events)

    def knows(self, trigger: str) -> bool:
        """Whether any state of this workflow has `trigger` (an unknown one is a 404, not a 409)."""
        return trigger in self._triggers

    def transitions_from(self, state: str | None) -> tuple[TransitionSpec, ...]:
        """The transitions out of `state` (None: the filing transitions), in definition order."""
        return self._specs_from.get(state or CREATE_STATE, ())

    def transition(self, state: str | None, trigger: str) -> TransitionSpec | None:
        """The transition `trigger` takes from `state`, whoever fires it; None when it has none there."""
        return next((t for t in self.transitions_from(state) if t.trigger == trigger), None)

    def edges(self) -> list[tuple[TransitionSpec, tuple[str, ...]]]:
        """Each transition a person fires on an existing case, with the states the machine takes it from
        (what a worklist turns into per-state conditions), in definition order."""
        sources: dict[int, list[str]] = {}
        for source, pairs in self._from.items():
            if source != CREATE_STATE:
                for spec, _ in pairs:
                    sources.setdefault(id(spec), []).append(source)
        return [(t, tuple(s for s in t.sources if s in sources[id(t)])) for t in self.definition.transitions
                if id(t) in sources]  # fmt: skip

    def permitted(self, state: str | None, case: CaseRow | None, actor: Actor) -> list[TransitionSpec]:
        """What `actor` may fire on `case` in `state` now: the transitions whose machine conditions hold
        (what `fire` would accept, checked without firing)."""
        source = state or CREATE_STATE
        pairs = self._from.get(source, ())
        if not pairs:
            return []
        at = self.machine.get_state(source)
        kwargs = {"case": case, "actor": actor}
        out = []
        for spec, tr in pairs:
            event = EventData(at, self.machine.events[spec.trigger], self.machine, _Token(source), (), kwargs)
            if all(c.check(event) for c in tr.conditions):
                out.append(spec)
        return out

    def fire(self, state: str | None, trigger: str, case: CaseRow | None, actor: Actor) -> TransitionSpec:
        """Fire `trigger` from `state` as `actor`; the transition taken, whose `dest` is the new state.

        NotAvailable when the state has no such transition; NotPermitted when it has, but its
        condition (the policy) refuses this actor on this case.
        """
        source = state or CREATE_STATE
        event = self.machine.events.get(trigger)
        if event is None or source not in event.transitions:
            raise NotAvailable(
                f"'{trigger}' is not available from state '{state}'.",
                f"Không thể thực hiện thao tác '{trigger}' ở trạng thái hiện tại.",
            )
        token = _Token(source)
        if not event.trigger(token, case=case, actor=actor):
            refused = _spec_of(event.transitions[source][0])
            raise NotPermitted(
                f"You may not '{refused.label_en}' on this case.",
                f"Bạn không có quyền thực hiện thao tác '{refused.label_vi}' đối với vụ việc này.",
            )
        taken = token.spec
        if taken is None or taken.dest != token.state:
            raise BrokenInvariant(f"the machine moved to '{token.state}' by no transition of the definition")
        return taken


def _spec_of(tr: Transition) -> TransitionSpec:
    """The definition's transition a machine transition stands for (carried by its condition)."""
    for c in tr.conditions:
        if isinstance(c.func, _Permits):
            return c.func.spec
    raise BrokenInvariant(f"machine transition '{tr.source}' -> '{tr.dest}' carries no policy condition")


@lru_cache(maxsize=64)
def machine_for(defn: Definition) -> CompiledMachine:
    """The compiled machine of a definition version, built on first use and kept."""
    return CompiledMachine(defn)


def available_triggers(defn: Definition, state: str) -> list[str]:
    return list(dict.fromkeys(t.trigger for t in machine_for(defn).transitions_from(state)))


def mermaid(defn: Definition, current: str | None = None, lang: str = "vi") -> str:
    """A Mermaid `stateDiagram-v2` drawn by transitions' own diagram support.

    GraphMachine needs a model to draw, so a throwaway one is used; labels are the people's
    words, and the current state (if any) is highlighted with a class.
    """
    from transitions.extensions import GraphMachine

    states, transitions = _machine_spec(defn)
    labelled = [{"name": s} for s in defn.states]
    graph = GraphMachine(
        model=_DiagramModel(),
        states=labelled,
        transitions=[t for t in transitions if t["source"] != [CREATE_STATE]],
        initial=defn.create_transition.dest,
        auto_transitions=False,
        graph_engine="mermaid",
        show_state_attributes=False,
        title=defn.label(lang),
    )
    text = graph.get_graph().draw(None)
    labels = {t.trigger: t.label(lang) for t in defn.transitions}
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("Class ", "classDef")):
            continue  # transitions' own styling; ours follows
        if stripped.startswith("state ") and " as " in stripped:
            sid = stripped.rsplit(" as ", 1)[1]
            line = f'  state "{defn.states[sid].label(lang)}" as {sid}'
        elif "-->" in stripped and ": " in stripped:
            edge, triggers = line.split(": ", 1)
            line = edge + ": " + " / ".join(labels.get(t.strip(), t.strip()) for t in triggers.split("|"))
        lines.append(line)
    lines.append("  classDef terminal fill:#e5e7eb,stroke:#6b7280")
    terminal = [sid for sid, st in defn.states.items() if st.terminal and sid != current]
    if terminal:
        lines.append(f"  class {','.join(terminal)} terminal")
    if current:
        lines.append("  classDef current fill:#fde68a,stroke:#b45309,stroke-width:3px")
        lines.append(f"  class {current} current")
    return "\n".join(lines) + "\n"
