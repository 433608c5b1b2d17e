"""The error a broken definition (or a broken unit-types file) raises.

It lives here, not in engine/, because workflows/ is the floor the engine stands on and imports
nothing from it; `engine.errors` re-exports it, so the engine and the web catch it by the same
name. It speaks like the engine's errors (`status`, `message_en`, `message_vi`, `message(lang)`),
which is all the web and the command line ask of an error.
"""

from __future__ import annotations


class DefinitionError(Exception):
    """A workflow definition file is broken; the message names the file, the key and the problem."""

    status = 500

    def __init__(self, path: str, key: str, problem: str) -> None:
        message = f"{path}: {key}: {problem}"
        super().__init__(message)
        self.path = path
        self.key = key
        self.problem = problem
        self.message_en = message
        self.message_vi = message

    def message(self, lang: str = "vi") -> str:
        return self.message_vi if lang == "vi" else self.message_en
