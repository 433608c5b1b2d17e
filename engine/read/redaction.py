"""Masking the names of private individuals in texts the public register shows.

Why a rule and not a review: in a district of a few thousand people a published name can do
harm that no correction undoes, so a name is masked by default and shown only when the
publisher lists it (the `public_names` field of `publish`). What counts as a name:

1. the full name of anyone with an account (reporters, officials): masked wherever it appears;
2. a run of two to four syllables that begins with a Vietnamese family name, capitalised ("Nguyễn
   Văn An", "Lò Thị Hoa", "Giàng A Páo") or in capitals ("TRẦN THỊ CÚC", as decisions print them);
   in lower case ("trần thị cúc") a run of three or four whose second syllable is a middle name;
3. one to four capitalised syllables after a personal title ("ông Minh", "bà Hoa", "phóng viên
   Tuấn", "PV Khánh").

Every comparison is made on NFC text and ignores case, and the syllables of a name may be joined by
spaces or hyphens ("Trần-Thị-Cúc", "Thu-Hà"), so neither a decomposed (NFD) copy nor capitals nor
hyphens let a name through. A masked name becomes its initials, as the Vietnamese press writes it
("N.V.A"). Place names that begin like a family name ("Hà Nội") and every unit's name are
protected, as are the names the publisher keeps public and the officials named in their office
(the fields a definition marks `official = true`, such as who signed the decision: `officials_in`).
Acronyms (UBND, QĐ-XPHC) are not names. The rule errs towards masking: a wrongly masked place name
costs a correction; a wrongly shown name cannot be taken back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# The commonest Vietnamese family names, and those of the Thái, Hmông, Dao, Giáy and Hà Nhì
# families of Lai Châu (Lò, Lường, Vàng, Giàng, Sùng, Tẩn, Chảo, ...).
_SURNAME_LIST = """
    Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trịnh Đào Cao Lâm Lương Mai Tạ Quách
    Chu Triệu Phùng Kiều Thái Tô Tăng Lại Lưu Văn Doãn Mạc Hà Nông Hứa Âu Diệp Đoàn Đồng Kim Quan Tiêu Từ Vương
    Lò Lường Lù Vàng Giàng Sùng Thào Mùa Hạng Tẩn Chảo Chẻo Sần Hờ Lầu Tráng Ly Cứ Khoàng Điêu Tòng Quàng Cầm Bạc
    Nùng Pờ Phàn Mã Lồ Sì Ma Vi Lộc Hầu Thèn
"""
SURNAMES = frozenset(_SURNAME_LIST.split())
# Family names that are also common words or place names begin a name only in a run of three ("Hà Văn Nam", not "Hà Nội").
_WEAK_SURNAMES = frozenset({"Văn", "Hà", "Thái", "Kim", "Mai", "Cao", "Đồng", "Quan", "Ma", "Vi", "Từ"})
_SURNAMES_FOLD = frozenset(w.casefold() for w in SURNAMES)
_WEAK_FOLD = frozenset(w.casefold() for w in _WEAK_SURNAMES)
# Middle names: in lower-case text a family name followed by one of these is a name, not a word ("lê thị hoa").
_MIDDLE_LIST = """
    văn thị đức hữu minh ngọc quang xuân thanh công đình quốc hoàng kim bá tiến trung a seo mí thu hồng anh duy
    gia khánh mạnh phương tuấn việt như bảo thế trọng quý diệu mỹ
"""
MIDDLE_NAMES = frozenset(_MIDDLE_LIST.split())

TITLES = frozenset(
    {"ông", "bà", "anh", "chị", "em", "cháu", "cụ", "bác", "cô", "chú", "phóng viên", "nhà báo", "pv", "đồng chí", "đ/c"}
)

# Place names and institutions that begin like a family name; extended with unit names at run time.
PROTECTED = (
    "Hà Nội", "Hà Giang", "Hà Tĩnh", "Hà Nam", "Hồ Chí Minh", "Cao Bằng", "Lâm Đồng", "Kim Bôi", "Mai Châu",
    "Thái Nguyên", "Thái Bình", "Hoàng Su Phì", "Lý Sơn", "Đồng Nai", "Đồng Tháp", "Quan Hóa", "Bà Rịa", "Vũng Tàu",
    "Hồ Gươm", "Hồ Tây", "Lê Lợi", "Trần Hưng Đạo", "Lý Thường Kiệt", "Nguyễn Huệ",
)  # fmt: skip

_WORD = re.compile(r"[^\W\d_][^\W_]*", re.UNICODE)
# What may join the syllables of one name: spaces, or one hyphen (ASCII, Unicode hyphens, en dash).
_SPACE = re.compile(r"[ \t\u00a0]+|[-\u2010\u2011\u2013]")
_NAME_GAP = r"(?:[ \t\u00a0]+|[-\u2010\u2011\u2013])"


def _capitalised(word: str) -> bool:
    """A proper-noun syllable: first letter upper case, not an acronym (UBND, QĐ)."""
    return word[:1].isupper() and (len(word) == 1 or not word.isupper())


def _name_regex(name: str) -> re.Pattern[str]:
    """A name as a pattern that ignores case and accepts spaces or hyphens between its syllables."""
    words = _WORD.findall(_norm(name))
    return re.compile(r"(?<!\w)" + _NAME_GAP.join(re.escape(w) for w in words) + r"(?!\w)", re.IGNORECASE)


def initials(name: str) -> str:
    """'Nguyễn Văn An' -> 'N.V.A' (the press convention for a person not to be named)."""
    return ".".join(w[0].upper() for w in _WORD.findall(name))


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def split_names(value: str | None) -> tuple[str, ...]:
    """The publisher's list of names to keep public: separated by ';', ',' or new lines."""
    if not value:
        return ()
    parts = re.split(r"[;,\n]+", _norm(value))
    return tuple(p.strip() for p in parts if len(p.strip()) >= 2)


@dataclass(frozen=True)
class NameMasker:
    """Masks names in a text; built once per request from the accounts, the units and the kept names."""

    known_names: tuple[str, ...] = ()
    protected: tuple[str, ...] = PROTECTED

    def with_kept(self, kept: Iterable[str]) -> NameMasker:
        return NameMasker(self.known_names, self.protected + tuple(kept))

    def mask(self, text: str | None) -> str:
        if not text:
            return ""
        text = _norm(text)
        shield = self._protected_spans(text)
        spans = self._known_spans(text, shield) + self._pattern_spans(text, shield)
        out, pos = [], 0
        for start, end in _merge(spans):
            out.append(text[pos:start])
            out.append(initials(text[start:end]))
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def names_in(self, text: str | None) -> tuple[str, ...]:
        """The names this masker would mask in `text` (to keep an official's name public everywhere)."""
        if not text:
            return ()
        text = _norm(text)
        shield: list[tuple[int, int]] = []
        return tuple(text[a:b] for a, b in _merge(self._known_spans(text, shield) + self._pattern_spans(text, shield)))

    def _protected_spans(self, text: str) -> list[tuple[int, int]]:
        spans = []
        for name in sorted({_norm(p).strip() for p in self.protected if p and _WORD.search(p)}, key=len, reverse=True):
            for m in _name_regex(name).finditer(text):
                spans.append((m.start(), m.end()))
        return spans

    def _known_spans(self, text: str, shield: list[tuple[int, int]]) -> list[tuple[int, int]]:
        spans = []
        for name in {_norm(n).strip() for n in self.known_names}:
            if len(name) < 4 or len(_WORD.findall(name)) < 2:  # one-word account names ("Admin") are not personal names
                continue
            for m in _name_regex(name).finditer(text):
                if not _inside(m.start(), m.end(), shield):
                    spans.append((m.start(), m.end()))
        return spans

    def _pattern_spans(self, text: str, shield: list[tuple[int, int]]) -> list[tuple[int, int]]:
        words = list(_WORD.finditer(text))
        spans = []
        i = 0
        while i < len(words):
            run = _capital_run(text, words, i)
            prev = _title_before(text, words, i)
            if run:
                last = words[i + len(run) - 1]
                first = run[0].casefold()
                if run[0].islower():  # lower case: a family name, then a middle name, then a given name
                    named = len(run) >= 3 and first in _SURNAMES_FOLD and first not in _WEAK_FOLD and run[1] in MIDDLE_NAMES
                    # the words after a lower-case name are lower case too: take a fourth syllable only
                    # when the third is a middle name as well ("nguyễn thị thu hà")
                    run = run[:4] if len(run) == 4 and run[2] in MIDDLE_NAMES else run[:3]
                    last = words[i + len(run) - 1]
                else:
                    named = (len(run) >= 2 and first in _SURNAMES_FOLD and not (first in _WEAK_FOLD and len(run) < 3)) or prev
                if named and not _inside(words[i].start(), last.end(), shield):
                    spans.append((words[i].start(), last.end()))
                    i += len(run)
                    continue
            i += 1
        return spans


def _style(word: str) -> str:
    """'cap' (Nguyễn), 'upper' (NGUYỄN, also one letter: A), 'lower' (nguyễn), or '' (mixed, acronyms like QĐ-XPHC's parts)."""
    if word.isupper():
        return "upper"
    if word.islower():
        return "lower"
    return "cap" if _capitalised(word) else ""


def _capital_run(text: str, words: list[re.Match[str]], i: int) -> list[str]:
    """Up to four syllables from word i written alike (capitalised, all capitals, or lower case; a
    one-letter syllable such as the A of "Giàng A Páo" fits a capitalised run), joined by spaces or a hyphen."""
    run: list[str] = []
    style = _style(words[i].group())
    if not style:
        return run
    j = i
    while j < len(words) and len(run) < 4:
        w = words[j].group()
        ws = _style(w)
        if ws != style and not (style == "cap" and ws == "upper" and len(w) == 1):
            break
        if run and not _SPACE.fullmatch(text[words[j - 1].end() : words[j].start()]):
            break
        run.append(w)
        j += 1
    if style == "cap" and len(run) == 1 and len(run[0]) == 1:
        return []
    return run


def _title_before(text: str, words: list[re.Match[str]], i: int) -> bool:
    """Word i follows a personal title ('ông', 'phóng viên', 'PV')."""
    for size in (2, 1):
        if i - size < 0:
            continue
        gap = text[words[i - 1].end() : words[i].start()]
        if not _SPACE.fullmatch(gap or "x"):
            return False
        title = " ".join(w.group() for w in words[i - size : i]).lower()
        if title in TITLES:
            return True
    return False


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out
