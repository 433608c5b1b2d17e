"""A version loaded while the application runs reaches the running processes, without a restart.

Real processes on a real database: a web server (waitress) and a `presscase scheduler` start on
the current definitions; `presscase workflow load` then records a new version from a third
process. The web server files under the new version, lists and shows cases filed under it by
others, and the scheduler fires the new version's timers instead of failing them.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from engine.cases import commands as service
from engine.store.models import Case, Timer
from tests.support import PASSWORD, REPORT
from tests.test_scheduler_lock import PRESSCASE, Proc
from tests.test_versioning import CURRENT, write_v2

ROOT = Path(__file__).resolve().parents[1]
WAITRESS = str(Path(sys.executable).with_name("waitress-serve"))
NEW_KIND = "Video giả mạo"  # the violation kind only the new version (write_v2) has


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(url: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": url, "PRESSCASE_SECRET_KEY": "k" * 32, "PRESSCASE_REGISTRY_CHECK_S": "0",
           "PRESSCASE_SWEEP_INTERVAL": "1", "PRESSCASE_NOTIFY_INTERVAL": "3600"}  # fmt: skip
    env.pop("PRESSCASE_WEB_SCHEDULER", None)
    return env


class Browser:
    """One person's cookies against the running server; forms carry their CSRF token."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str, str]:
        try:
            with self.opener.open(self.base + path, timeout=30) as r:
                return r.status, r.geturl(), r.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, path, err.read().decode()

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str, str]:
        _, _, page = self.get(path)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        body = urlencode({**data, "csrf_token": token.group(1) if token else ""}).encode()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=30) as r:
                return r.status, r.geturl(), r.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, path, err.read().decode()

    def sign_in(self, username: str) -> None:
        status, url, _ = self.post("/login", {"username": username, "password": PASSWORD})
        assert status == 200 and "/login" not in url, (status, url)


def _wait_http(port: int, proc: subprocess.Popen[str], timeout: float = 40.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, proc.communicate()[0]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the web server did not start")


@pytest.fixture
def web_server(org, db_url):
    port = _free_port()
    proc = subprocess.Popen([WAITRESS, "--threads", "4", "--listen", f"127.0.0.1:{port}", "web.wsgi:app"], cwd=ROOT,
                            env=_env(db_url), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)  # fmt: skip
    try:
        _wait_http(port, proc)
        yield port
    finally:
        proc.kill()
        proc.wait(10)


@pytest.fixture
def scheduler(org, db_url):
    proc = Proc(db_url, **{k: v for k, v in _env(db_url).items() if k.startswith("PRESSCASE_")})
    try:
        assert proc.wait_for("scheduler started for this database"), "".join(proc.seen)
        yield proc
    finally:
        proc.stop()


def _load(db_url: str, folder: Path) -> str:
    r = subprocess.run([PRESSCASE, "workflow", "load", "--dir", str(folder)], cwd=ROOT, env=_env(db_url),
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 0, r.stderr
    return r.stdout


def _reference_in(page: str) -> str | None:
    m = re.search(r"PA-\d{4}-\d{6}", page)
    return m.group(0) if m else None


def test_web_and_scheduler_serve_a_version_loaded_while_they_run(org, db_url, tmp_path, web_server, scheduler):
    reporter, assessor = Browser(web_server), Browser(web_server)
    reporter.sign_in("reporter")
    assessor.sign_in("assessor")
    assert NEW_KIND not in reporter.get("/reports/new")[2]

    assert f"loaded press_violation v{CURRENT + 1}" in _load(db_url, write_v2(tmp_path))

    # The web process, started before the load, offers and files under the new version.
    assert NEW_KIND in reporter.get("/reports/new")[2]
    status, url, page = reporter.post("/reports/new", {**REPORT, "violation_kind": "deepfake"})
    assert status == 200 and "/cases/" in url, page[:2000]
    case_id = int(re.search(r"/cases/(\d+)", url).group(1))  # type: ignore[union-attr]
    with org.rt.read_session() as s:
        filed_on_web = s.get(Case, case_id)
        assert filed_on_web is not None and filed_on_web.workflow_version == CURRENT + 1

    # A case another process filed under the new version: in the web's worklists, and its page served.
    org.rt.registry_check_s = 0
    with org.rt.uow() as uow:
        other = service.file_report(uow, org.actor("reporter"), "press_violation", {**REPORT, "violation_kind": "deepfake"})
    with org.rt.read_session() as s:
        assert s.get(Case, other.case_id).workflow_version == CURRENT + 1  # type: ignore[union-attr]
    worklist = assessor.get("/worklist")[2]
    assert other.reference in worklist and filed_on_web.reference in worklist
    status, _, page = assessor.get(f"/cases/{other.case_id}")
    assert status == 200 and other.reference in page and NEW_KIND in page

    # The scheduler, started before the load, fires the new version's timers (filed in March at the
    # test clock's time, so they are all due now) instead of failing them.
    end = time.monotonic() + 60
    statuses: list[str] = []
    while time.monotonic() < end:
        with org.rt.read_session() as s:
            statuses = list(s.scalars(select(Timer.status).where(Timer.case_id == other.case_id)))
        if statuses and "pending" not in statuses:
            break
        time.sleep(0.5)
    assert "fired" in statuses and "failed" not in statuses, statuses


def test_the_check_is_one_primary_key_read_until_a_load_moves_the_generation(org, tmp_path):
    """What every request and scheduler job pays: one single-row read; the sources are read only after a load."""
    from sqlalchemy import event

    from engine.cases.uow import Runtime

    other = Runtime.from_url(str(org.rt.engine.url.render_as_string(hide_password=False)), clock=org.rt.clock)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
        text = " ".join(statement.split()).lower()
        if text not in ("begin", "begin immediate", "commit", "rollback"):
            statements.append(text)

    try:
        other.load_definitions()
        event.listen(other.engine, "before_cursor_execute", seen)
        other.registry_check_s = 60
        assert other.refresh_definitions() == []  # checked within the interval: no query at all
        assert statements == []
        assert other.refresh_definitions(force=True) == []
        assert len(statements) == 1 and "from registry_generation" in statements[0] and "where" in statements[0]

        org.rt.load_definitions(str(write_v2(tmp_path)))  # "another process" records a version
        statements.clear()
        assert other.refresh_definitions(force=True) == [f"press_violation v{CURRENT + 1}"]
        assert other.registry.latest("press_violation").version == CURRENT + 1
        assert any("from workflow_definitions" in s for s in statements)
        statements.clear()
        assert other.refresh_definitions(force=True) == [] and len(statements) == 1
    finally:
        other.engine.dispose()
