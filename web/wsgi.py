"""Production entry point: `waitress-serve --port 8000 web.wsgi:app` or `gunicorn web.wsgi:app`.

Set PRESSCASE_SECRET_KEY, DATABASE_URL, PRESSCASE_BASE_URL and, behind a TLS proxy,
PRESSCASE_HTTPS=1 (the app then trusts exactly one proxy hop: listen where only the proxy
reaches, as the README's commands do). Run `presscase db upgrade` before the first start;
the timer sweep runs as its own process.
"""

from __future__ import annotations

from web import create_app

app = create_app()
