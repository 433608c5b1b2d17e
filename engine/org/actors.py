"""Who is acting: a user in a unit with roles, or the system itself (timers)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.store.models import User

SYSTEM_ROLE = "system"
ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    unit_id: int | None
    roles: frozenset[str]
    name: str = ""
    language: str = "vi"
    unit_type: str | None = None  # the policy checks a transition's `unit_types` against it

    @classmethod
    def from_user(cls, user: User) -> Actor:
        return cls(user.id, user.unit_id, user.roles, user.full_name, user.language, user.unit.type if user.unit else None)

    @classmethod
    def system(cls) -> Actor:
        return cls(None, None, frozenset({SYSTEM_ROLE}), "Hệ thống")

    @property
    def is_system(self) -> bool:
        return SYSTEM_ROLE in self.roles

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles
