"""Languages and local time: Vietnamese by default, English per user; times shown in Hà Nội time.

The interface strings are written in Vietnamese (the source language) and translated into
English by the catalogue in web/translations/en. States, triggers, fields and lists carry
their own vi/en labels in the workflow definition, so those come from the definition.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, g, request, session
from flask_babel import Babel, get_locale, get_translations
from flask_login import current_user
from markupsafe import Markup, escape

from engine.read.wording import en_medium_date
from engine.time.clock import LOCAL_TZ

LANGUAGES = ("vi", "en")


def select_locale() -> str:
    """The signed-in person's own language; before sign-in, the one they picked, else Vietnamese."""
    if getattr(current_user, "is_authenticated", False):
        return current_user.language if current_user.language in LANGUAGES else "vi"
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return "vi"


def lang() -> str:
    """'vi' or 'en' for the current request (outside a request, Vietnamese).

    Asked for every label and date of a page (hundreds of times for a list): kept on `g` after the
    first ask, as Flask-Babel keeps the locale itself for the request.
    """
    try:
        return g._presscase_lang  # type: ignore[no-any-return]
    except AttributeError:
        g._presscase_lang = chosen = str(get_locale() or "vi")[:2]
        return chosen
    except RuntimeError:  # no application context
        return "vi"


def _translations() -> Any:
    """The request's catalogue, looked up once per request (Flask-Babel looks it up on every string)."""
    try:
        return g._presscase_translations
    except AttributeError:
        g._presscase_translations = found = get_translations()
        return found
    except RuntimeError:
        return get_translations()


def _day(value: date) -> str:
    """dd/mm/yyyy in Vietnamese; in English the locale's own medium form through Babel ("Dec 1, 2026"),
    because 01/12/2026 reads as January to many English readers."""
    if lang() == "en":
        return en_medium_date(value)
    return value.strftime("%d/%m/%Y")


def local_dt(value: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh; stored times are aware UTC."""
    if value is None:
        return ""
    local = value.astimezone(LOCAL_TZ)
    return f"{_day(local.date())} {local:%H:%M}"


def local_dt_iso(value: str | None) -> str:
    """An ISO timestamp kept inside event data, shown like any other time."""
    try:
        return local_dt(datetime.fromisoformat(value)) if value else ""
    except (TypeError, ValueError):
        return str(value)


def local_date(value: date | datetime | str | None) -> str:
    """A date as dd/mm/yyyy; ISO strings (how dates sit in case data) are accepted."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL_TZ).date()
    return _day(value)


def nowrap(text: str) -> Markup:
    """A date or time kept on one line: "02/12/2026" never breaks inside the number on a narrow screen."""
    return Markup('<span class="nw">%s</span>') % escape(text) if text else Markup("")


def money(value: Any) -> str:
    """Vietnamese grouping: 15.000.000 đ; in English 15,000,000 VND."""
    try:
        if lang() == "en":
            return f"{int(value):,} VND"
        return f"{int(value):,}".replace(",", ".") + " đ"
    except (TypeError, ValueError):
        return str(value)


def label(obj: Any) -> str:
    """Anything with a `label(lang)` method (state, transition, field, definition) in the current language."""
    return obj.label(lang()) if obj is not None else ""


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, default_translation_directories="translations")
    # Flask-Babel's own template callables, with the catalogue looked up once per request.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # In pages a date is one unbreakable word; Python callers (feeds, exports) get plain text.
    app.jinja_env.filters["localdt"] = lambda v: nowrap(local_dt(v))
    app.jinja_env.filters["localdt_iso"] = lambda v: nowrap(local_dt_iso(v))
    app.jinja_env.filters["localdate"] = lambda v: nowrap(local_date(v))
    app.jinja_env.filters["money"] = money
    app.jinja_env.globals["lang"] = lang
    app.jinja_env.globals["label"] = label

    @app.before_request
    def _remember_language_choice() -> None:
        chosen = request.args.get("lang")
        if chosen in LANGUAGES and not getattr(current_user, "is_authenticated", False):
            session["lang"] = chosen
