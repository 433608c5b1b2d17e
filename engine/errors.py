"""Typed errors the engine raises; the web and API layers map each to one HTTP status."""

from __future__ import annotations

# A broken definition is the workflows' own error (workflows/ imports nothing from engine/); it is
# re-exported here so that code which catches the engine's errors names it from one module. It is
# not an EngineError: where a definition may be parsed (loading, the sweep, the command line), catch both.
from workflows.errors import DefinitionError

__all__ = [
    "DefinitionError", "EngineError", "InvalidData", "NeedsConfirmation",
    "NotAvailable", "NotFound", "NotPermitted", "StaleVersion", "Unresolvable",
]  # fmt: skip


class EngineError(Exception):
    """Base class. `message_vi` / `message_en` are what a person is shown."""

    status = 400

    def __init__(self, message_en: str, message_vi: str | None = None) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_vi = message_vi or message_en

    def message(self, lang: str = "vi") -> str:
        return self.message_vi if lang == "vi" else self.message_en


class NotPermitted(EngineError):
    status = 403


class NotFound(EngineError):
    """Also raised for cases the actor may not see, so that their existence does not leak."""

    status = 404


class NotAvailable(EngineError):
    """The trigger does not exist from the case's current state."""

    status = 409


class StaleVersion(EngineError):
    """Someone else changed the case since the actor loaded it; nothing was written."""

    status = 409

    def __init__(self, expected: int | None = None, actual: int | None = None) -> None:
        super().__init__(
            "The case was changed by someone else meanwhile; nothing of yours was saved.",
            "Vụ việc vừa được người khác cập nhật; thao tác của bạn chưa được lưu.",
        )
        self.expected = expected
        self.actual = actual


class InvalidData(EngineError):
    """Field-level errors, each in Vietnamese and English."""

    status = 422

    def __init__(self, errors: dict[str, tuple[str, str]]) -> None:
        self.errors = errors
        joined_en = "; ".join(f"{k}: {v[1]}" for k, v in errors.items())
        joined_vi = "; ".join(f"{k}: {v[0]}" for k, v in errors.items())
        super().__init__(f"Invalid data: {joined_en}", f"Dữ liệu không hợp lệ: {joined_vi}")

    def field_messages(self, lang: str = "vi") -> dict[str, str]:
        return {k: (v[0] if lang == "vi" else v[1]) for k, v in self.errors.items()}


class Unresolvable(EngineError):
    """Who must act or be told cannot be determined (a unit disabled, none of the required type).

    The command is refused and nothing is written: a case is never left with nobody, and a
    message never goes to a wider set of people than the definition names.
    """

    status = 422


class NeedsConfirmation(EngineError):
    """The command would route the case to a unit where nobody active can act on it.

    Repeated with `confirm_unstaffed=True` it goes through, and the administrators are told.
    """

    status = 422


class BrokenInvariant(EngineError):
    """Something the engine relies on does not hold (a bug or a tampered database): refused, nothing written.

    Raised by explicit checks rather than `assert`, which `python -O` strips."""

    status = 500

    def __init__(self, what: str) -> None:
        super().__init__(f"Internal inconsistency: {what}. Nothing was saved.",
                         f"Lỗi nhất quán nội bộ: {what}. Chưa có gì được lưu.")  # fmt: skip
