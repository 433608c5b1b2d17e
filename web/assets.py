"""Light pages on a weak mobile connection: compressed responses, and static files cached for good.

- Static files are linked by a name that carries a hash of their content (`app.3f9c0a1b2d.css`,
  made by every `url_for('static', ...)`), served with `Cache-Control: public, max-age=1 year,
  immutable`: a browser asks for each file once, and a changed file is a new name. A name whose
  hash is not the file's current one (a page cached before an upgrade) still gets the file, but
  is not cached, and the plain name keeps working for anyone who types it.
- Text responses (pages, CSS, SVG, JSON, Atom, CSV) are gzip-compressed when the browser accepts it
  (a case page shrinks about five times); static files are compressed once and kept in memory.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
from functools import lru_cache
from typing import Any

from flask import Flask, Response, abort, current_app, request, send_from_directory
from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join

from engine.errors import BrokenInvariant

YEAR = 365 * 24 * 3600
HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{10})(?P<ext>\.[A-Za-z0-9]+)$")
COMPRESSIBLE = {"text/html", "text/css", "text/plain", "text/csv", "text/javascript", "application/javascript",
                "application/json", "application/atom+xml", "application/xml", "image/svg+xml"}  # fmt: skip
MIN_SIZE = 500  # below this, gzip's own header costs more than it saves


@lru_cache(maxsize=256)
def _file_digest(path: str, mtime_ns: int) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()[:10]


def content_hash(static_folder: str, filename: str) -> str | None:
    """The first 10 hex digits of the file's SHA-256 (recomputed only when the file changes), or None if absent."""
    path = safe_join(static_folder, filename)
    if path is None or not os.path.isfile(path):
        return None
    return _file_digest(path, os.stat(path).st_mtime_ns)


def hashed_name(static_folder: str, filename: str) -> str:
    digest = content_hash(static_folder, filename)
    if digest is None:
        return filename
    stem, dot, ext = filename.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot and "/" not in ext else f"{filename}.{digest}"


@lru_cache(maxsize=64)
def _gzipped(path: str, mtime_ns: int) -> bytes:
    with open(path, "rb") as fh:
        return gzip.compress(fh.read(), compresslevel=9, mtime=0)


def _serve_static(filename: str) -> Response:
    folder = current_app.static_folder
    if folder is None:
        abort(404)
    m = HASHED.match(filename)
    real = f"{m['stem']}{m['ext']}" if m else filename
    digest = content_hash(folder, real)
    if digest is None:
        raise NotFound()
    immutable = m is not None and m["digest"] == digest
    response = send_from_directory(folder, real, max_age=YEAR if immutable else None)
    if immutable:
        response.cache_control.public = True
        response.cache_control.immutable = True
    path = safe_join(folder, real)
    if path and response.mimetype in COMPRESSIBLE and _accepts_gzip() and response.status_code == 200:
        body = _gzipped(path, os.stat(path).st_mtime_ns)
        response.direct_passthrough = False
        response.set_data(body)
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        _weaken_etag(response)
    return response


def _accepts_gzip() -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


def _weaken_etag(response: Response) -> None:
    """A compressed body is a different byte sequence: its validator must be weak (RFC 9110 8.8.3)."""
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)


def compress(response: Response) -> Response:
    """gzip a text response for a browser that accepts it; anything streamed, small or already encoded is left alone."""
    if (
        response.status_code < 200
        or response.status_code in (204, 206, 304)
        or response.direct_passthrough
        or not response.is_sequence
        or "Content-Encoding" in response.headers
        or response.mimetype not in COMPRESSIBLE
    ):
        return response
    response.vary.add("Accept-Encoding")
    if not _accepts_gzip():
        return response
    body = response.get_data()
    if len(body) < MIN_SIZE:
        return response
    response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    _weaken_etag(response)
    return response


def init_app(app: Flask) -> None:
    folder = app.static_folder
    if folder is None:
        raise BrokenInvariant("the web app has no static folder, which hashed asset URLs need")

    @app.url_defaults
    def _hash_static_names(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = hashed_name(folder, values["filename"])

    app.view_functions["static"] = _serve_static
    app.after_request(compress)
