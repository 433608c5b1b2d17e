"""Absolute links (feeds, JSON, anything read away from this site) from the configured base URL.

`url_for(..., _external=True)` would take the host from the request's Host (or a forwarded
host) header, which a client chooses: `Host: evil.example` would put the attacker's address
into responses that caches keep and feed readers follow. PRESSCASE_BASE_URL decides instead.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for


def external_url(endpoint: str, **values: Any) -> str:
    path = url_for(endpoint, **values)
    root = request.script_root if request else ""
    if root and path.startswith(root):
        path = path[len(root):]
    return str(current_app.config["BASE_URL"]).rstrip("/") + path
