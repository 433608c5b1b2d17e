"""Who is asking, and which pages their roles open; the runtime the views use.

Which *cases* and *actions* a person may see or fire is decided by engine.cases.policy alone. This
module only decides which *pages* make sense for a set of roles, and derives even that from
the loaded definitions, so a new workflow with new roles needs no change here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app
from flask_login import current_user, login_required

from engine.cases.machine import machine_for
from engine.cases.uow import Runtime
from engine.org.actors import ADMIN_ROLE, Actor

F = TypeVar("F", bound=Callable[..., Any])


def runtime() -> Runtime:
    return current_app.extensions["presscase"]


def current_actor() -> Actor:
    """The signed-in person as the engine knows them (built fresh from the database every request)."""
    return current_user.actor  # type: ignore[no-any-return]


def filing_roles() -> set[str]:
    """Roles that may file a new case in some workflow (the reporters)."""
    return {r for d in runtime().registry.latest_all() for r in d.create_transition.roles}


REPORTER_ROLE = "reporter"


def worklist_roles() -> set[str]:
    """Roles that act on cases: every role of a non-creating transition, except the reporter's.

    A reporter acts only on their own unit's reports (answering questions) and follows them on
    "my unit's reports"; a unit leader who both files and decides (a workflow whose creating transition
    names the leader) keeps a worklist.
    """
    acting = {r for d in runtime().registry.all() for t, _ in machine_for(d).edges() for r in t.roles}
    return acting - {REPORTER_ROLE}


def overview_roles() -> set[str]:
    """Roles that may see every case of a workflow in every state (intake and oversight)."""
    return {
        role
        for d in runtime().registry.all()
        for role, rules in d.visibility.items()
        for rule in rules
        if rule.get("scope") == "any" and not rule.get("states")
    }


def has_any_role(roles: set[str]) -> bool:
    return bool(current_actor().roles & roles)


def roles_required(which: Callable[[], set[str]]) -> Callable[[F], F]:
    """Signed in (else to the sign-in page) and holding one of `which()` roles (else 403)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not has_any_role(which()):
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapper)  # type: ignore[return-value]

    return decorate


def admin_roles() -> set[str]:
    return {ADMIN_ROLE}
