"""Text that every output can carry: no code point XML 1.0 forbids, no bidirectional controls, no live formulas.

Why here, in the engine: the history is append-only, so a character that breaks an XML writer
(openpyxl, python-docx and the Atom feed all refuse U+0000-U+0008, U+000B, U+000C,
U+000E-U+001F, lone surrogates, U+FFFE and U+FFFF) can never be cleaned once it is recorded.
The bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069) are
refused too: they make a subject or a file name read differently from what it is
("evil\u202egpj.exe" shows as "evilexe.jpg").

Two uses:
- at the door (validation, administration, file names): `forbidden_in` finds what to refuse,
  `strip_forbidden` drops it where refusing would lose a file for a name's sake;
- at the exits (CSV, XLSX, DOCX, the Atom feed, JSON): `safe_text` again, so a value already
  stored before this check existed still cannot break a document, and `neutralise_formula`
  keeps a spreadsheet from running text as a formula (OWASP's CSV-injection rule).
"""

from __future__ import annotations

import re
from typing import Any

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

# XML 1.0's Char production allows #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF];
# everything else is forbidden, and the bidirectional controls are added.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff" + BIDI_CONTROLS + "]")

# A spreadsheet reads a cell starting with one of these as a formula (or as the start of one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def forbidden_in(text: str) -> list[str]:
    """The distinct forbidden code points of `text`, as U+XXXX, in order of first appearance (empty when clean)."""
    seen = dict.fromkeys(f"U+{ord(ch):04X}" for ch in _FORBIDDEN.findall(text))
    return list(seen)


def has_forbidden(text: str) -> bool:
    return _FORBIDDEN.search(text) is not None


def strip_forbidden(text: str) -> str:
    return _FORBIDDEN.sub("", text)


def forbidden_message(text: str) -> tuple[str, str]:
    """The (Vietnamese, English) form error naming the code points found, so the person can find them."""
    found = ", ".join(forbidden_in(text)[:5])
    return (
        f"Có ký tự điều khiển hoặc ký tự không hợp lệ ({found}); hãy xoá chúng rồi gửi lại.",
        f"Contains control or invalid characters ({found}); remove them and send again.",
    )


def safe_text(value: Any) -> Any:
    """A str without forbidden code points; any other value unchanged (numbers and dates stay typed)."""
    return strip_forbidden(value) if isinstance(value, str) else value


def neutralise_formula(value: Any) -> Any:
    """A str a spreadsheet shows as text: forbidden code points dropped, and a leading = + - @ tab or CR
    prefixed with an apostrophe (OWASP). Numbers and dates are left as they are."""
    if not isinstance(value, str):
        return value
    text = strip_forbidden(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def deep_safe(value: Any) -> Any:
    """`safe_text` through dicts and lists (JSON documents built from stored data)."""
    if isinstance(value, str):
        return strip_forbidden(value)
    if isinstance(value, dict):
        return {deep_safe(k): deep_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [deep_safe(v) for v in value]
    return value
