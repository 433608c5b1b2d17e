"""API benchmark: actions fired through /api/v1 with bearer tokens, the app under gunicorn with 2 worker
processes on PostgreSQL, the load from a client in another process over loopback.

A scratch database is created on PRESSCASE_BENCH_PG_URL's server (127.0.0.1:5432 by default) and
dropped at the end. Cases are filed through the engine first; the client then keeps `--concurrency`
requests in flight, each case alternating between "request information" (an assessor's token) and
"provide information" (the filing cell's token), every request with its expected version and an
Idempotency-Key, as an integrating system would send them. Nothing but the fires is timed.

    .venv/bin/python bench/api.py [--seconds 20] [--concurrency 8] [--cases 400] [--threads 4]

Ends with exactly one line: api_rps=... api_p95_ms=...
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import emit, pg_available, pg_database, seed_org  # noqa: E402
from engine.audit.key import derive_audit_key  # noqa: E402
from engine.cases import commands as service  # noqa: E402
from engine.cases.uow import Runtime  # noqa: E402
from engine.org import api_tokens  # noqa: E402

SECRET = "bench-api-secret-" + uuid.uuid4().hex
REPORT = {"violation_kind": "false_information", "subject_name": "Trang tin thử tải", "subject_type": "social_account",
          "description": "Phản ánh dùng để đo tải API."}  # fmt: skip
ASK = {"question": "Đề nghị bổ sung ảnh chụp bài đăng."}
ANSWER = {"answer": "Đã bổ sung ảnh chụp."}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(url: str, n_cases: int) -> tuple[dict[str, str], list[tuple[int, int]]]:
    """The organisation, `n_cases` reported cases, and a token for the assessor and for the reporter."""
    rt = Runtime.from_url(url, audit_key=derive_audit_key(SECRET))
    actors = seed_org(rt)
    cases = []
    for _ in range(n_cases):
        with rt.uow() as uow:
            out = service.file_report(uow, actors["reporter"], "press_violation", REPORT)
        cases.append((out.case_id, out.version))
    tokens = {}
    for who in ("assessor", "reporter"):
        with rt.uow() as uow:
            tokens[who] = api_tokens.issue(uow, who, label="bench").token
    rt.engine.dispose()
    return tokens, cases


def start_server(url: str, port: int, threads: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "PRESSCASE_SECRET_KEY": SECRET, "PRESSCASE_API_RATE_LIMIT": "1000000 per minute",
           "PRESSCASE_WEB_SCHEDULER": "0", "PYTHONPATH": str(ROOT)}  # fmt: skip
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen([gunicorn, "--workers", "2", "--worker-class", "gthread", "--threads", str(threads),
                             "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "web.wsgi:app"],
                            cwd=ROOT, env=env, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def _client(port: int, tokens: dict[str, str], cases: list[tuple[int, int]], concurrency: int, warmup: float,
            seconds: float, results: Any) -> None:  # fmt: skip
    """The load client (its own process): `concurrency` threads, each with its own cases and keep-alive connection."""
    latencies: list[float] = []
    errors: list[str] = []
    fired = [0]
    lock = threading.Lock()
    start = time.monotonic()
    measure_from, stop_at = start + warmup, start + warmup + seconds

    def worker(mine: list[list[int]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = 0
        while time.monotonic() < stop_at:
            case = mine[i % len(mine)]
            i += 1
            asking = case[2] == 0
            trigger, data, who = ("request_info", ASK, "assessor") if asking else ("provide_info", ANSWER, "reporter")
            body = json.dumps({"version": case[1], "data": data})
            headers = {"Authorization": f"Bearer {tokens[who]}", "Content-Type": "application/json",
                       "Idempotency-Key": uuid.uuid4().hex, "Accept-Language": "en"}  # fmt: skip
            t0 = time.monotonic()
            try:
                conn.request("POST", f"/api/v1/cases/{case[0]}/actions/{trigger}", body, headers)
                r = conn.getresponse()
                payload = r.read()
            except (OSError, http.client.HTTPException) as err:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                with lock:
                    errors.append(type(err).__name__)
                continue
            t1 = time.monotonic()
            if r.status != 200:
                with lock:
                    errors.append(f"{r.status} {payload[:120]!r}")
                continue
            case[1] = json.loads(payload)["version"]
            case[2] = 1 - case[2]
            with lock:
                fired[0] += 1
            if t0 >= measure_from and t1 <= stop_at:
                with lock:
                    latencies.append(t1 - t0)
        conn.close()

    state = [[cid, version, 0] for cid, version in cases]
    threads = [threading.Thread(target=worker, args=(state[k::concurrency],)) for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put({"latencies": latencies, "errors": errors, "seconds": seconds, "fired": fired[0]})


def _cpu_seconds(server: subprocess.Popen[bytes], database: str) -> tuple[float, float]:
    """CPU used so far by gunicorn (master and workers) and by the PostgreSQL backends serving the bench database."""
    import psutil

    root = psutil.Process(server.pid)
    app = sum(sum(p.cpu_times()[:2]) for p in [root, *root.children(recursive=True)])
    db = 0.0
    for p in psutil.process_iter(["cmdline"]):
        if any(database in part for part in (p.info["cmdline"] or [])):
            with contextlib.suppress(psutil.Error):
                db += sum(p.cpu_times()[:2])
    return app, db


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--cases", type=int, default=400)
    ap.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    args = ap.parse_args()
    if not pg_available():
        raise SystemExit("PostgreSQL not reachable (set PRESSCASE_BENCH_PG_URL)")
    with pg_database() as url:
        tokens, cases = seed(url, args.cases)
        port = _free_port()
        server = start_server(url, port, args.threads)
        try:
            ctx = multiprocessing.get_context("spawn")
            results = ctx.Queue()
            client = ctx.Process(target=_client, args=(port, tokens, cases, args.concurrency, args.warmup, args.seconds,
                                                       results))  # fmt: skip
            database = url.rsplit("/", 1)[-1]
            before = _cpu_seconds(server, database)
            client.start()
            out = results.get(timeout=args.warmup + args.seconds + 120)
            client.join()
            after = _cpu_seconds(server, database)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
    lat = sorted(out["latencies"])
    if out["errors"]:
        print(f"{len(out['errors'])} requests failed, e.g. {out['errors'][:3]}", file=sys.stderr)
    if not lat:
        raise SystemExit("no request succeeded")
    p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))] * 1000
    print(f"{len(lat)} fires in {out['seconds']:.0f} s, concurrency {args.concurrency}, "
          f"median {statistics.median(lat) * 1000:.1f} ms", file=sys.stderr)  # fmt: skip
    app_ms, db_ms = ((a - b) / max(1, out["fired"]) * 1000 for a, b in zip(after, before, strict=True))
    print(f"CPU per fire: {app_ms:.1f} ms in gunicorn + {db_ms:.1f} ms in PostgreSQL; on 2 otherwise idle cores "
          f"that bounds the server at about {2000 / (app_ms + db_ms):.0f} fires/s", file=sys.stderr)
    emit({"api_rps": f"{len(lat) / out['seconds']:.0f}", "api_p95_ms": f"{p95:.1f}"})


if __name__ == "__main__":
    main()
