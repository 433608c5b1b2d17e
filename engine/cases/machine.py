"""A workflow definition compiled into one shared `transitions` Machine.

One machine per definition version, fired on a small token that carries the case's state:
a machine per case costs ~19 KiB and seconds per 10,000 cases, `add_model` is quadratic and
holds strong references, and binding to ORM objects overwrites attributes (LIBRARY-NOTES.md).
`auto_transitions=False`, so no `to_<state>()` exists to bypass the guards.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from transitions import Machine, MachineError

from engine.errors import NotAvailable
from workflows.definition import Definition

CREATE_STATE = "__new__"


class _Token:
    """What the machine fires on: only a state, never an ORM object."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


class _DiagramModel:
    """GraphMachine binds helpers onto its model, so diagrams get a plain throwaway object."""


def _machine_spec(defn: Definition) -> tuple[list[str], list[dict[str, Any]]]:
    states = [CREATE_STATE, *defn.states]
    transitions = [
        {"trigger": t.trigger, "source": list(t.sources) or [CREATE_STATE], "dest": t.dest}
        for t in defn.transitions
    ]
    return states, transitions


@lru_cache(maxsize=64)
def compile_machine(defn: Definition) -> Machine:
    states, transitions = _machine_spec(defn)
    return Machine(
        model=None,
        states=states,
        transitions=transitions,
        initial=None,
        auto_transitions=False,
        send_event=True,
    )


def next_state(defn: Definition, state: str | None, trigger: str) -> str:
    """Fire `trigger` from `state` on the shared machine; the state it lands in."""
    machine = compile_machine(defn)
    token = _Token(state or CREATE_STATE)
    event = machine.events.get(trigger)
    try:
        if event is None or not event.trigger(token):
            raise MachineError(trigger)
    except MachineError as exc:
        raise NotAvailable(
            f"'{trigger}' is not available from state '{state}'.",
            f"Không thể thực hiện thao tác '{trigger}' ở trạng thái hiện tại.",
        ) from exc
    return token.state


def available_triggers(defn: Definition, state: str) -> list[str]:
    return compile_machine(defn).get_triggers(state)


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
