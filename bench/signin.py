"""Sign-in under attack, through waitress as the README runs it (behind one trusted proxy), real Argon2.

Phase 1 replays the brute force the hardening probe ran: many guesses at one account, each from
another address (as a botnet would, so the per-address limit does not help); counts how many
passwords were actually verified before the account locked. Phase 2 signs many different
accounts in at once and samples the server's memory: the hashing slots bound the peak.

    .venv/bin/python bench/signin.py [--guesses 640] [--burst 32] [--slots 2]

Ends with exactly one line: verified=... refused=... guesses_per_s=... burst_peak_rss_mb=... burst_s=...
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402

from engine.cases.uow import Runtime  # noqa: E402
from engine.demo import UNITS  # noqa: E402
from engine.org import admin
from engine.store import migrate  # noqa: E402

PASSWORD = "mat-khau-dung-cua-bench"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def attempt(port: int, username: str, password: str, client_ip: str) -> int:
    """One browser's sign-in: the form (for its CSRF token), then the post, as if via the proxy."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    fwd = {"X-Forwarded-For": client_ip, "X-Forwarded-Proto": "https"}
    conn.request("GET", "/login", headers=fwd)
    r = conn.getresponse()
    page = r.read().decode()
    cookie = "; ".join(h.split(";", 1)[0] for h in r.headers.get_all("Set-Cookie") or [])
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    body = urlencode({"username": username, "password": password, "csrf_token": token})
    conn.request("POST", "/login", body=body, headers={**fwd, "Cookie": cookie, "Referer": f"https://127.0.0.1:{port}/login",
                                                        "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    status = conn.getresponse().status
    conn.close()
    return status


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--guesses", type=int, default=640)
    ap.add_argument("--burst", type=int, default=32)
    ap.add_argument("--slots", type=int, default=2)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="presscase-signin-"))
    url = f"sqlite:///{folder / 'presscase.sqlite3'}"
    migrate.upgrade(url)
    rt = Runtime.from_url(url)
    rt.load_definitions()
    for code, name, utype, parent in UNITS:
        with rt.uow() as uow:
            admin.add_unit(uow, code, name, utype, parent)
    print(f"creating {args.burst + 1} accounts with production Argon2 ...", flush=True)
    for i in range(args.burst + 1):
        with rt.uow() as uow:
            admin.add_user(uow, f"canbo{i:03d}", f"Cán bộ {i}", "BTG", ["assessor"], PASSWORD)
    rt.engine.dispose()

    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "PRESSCASE_SECRET_KEY": "bench", "PRESSCASE_HTTPS": "1",
           "PRESSCASE_PASSWORD_HASH_SLOTS": str(args.slots)}  # fmt: skip
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "waitress-serve"), "--threads", "8", "--listen", f"127.0.0.1:{port}",
         "--trusted-proxy", "127.0.0.1", "--trusted-proxy-headers", "x-forwarded-for x-forwarded-proto",
         "--clear-untrusted-proxy-headers", "web.wsgi:app"],
        cwd=folder, env={**env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        proc = psutil.Process(server.pid)

        t0 = time.perf_counter()
        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(lambda i: attempt(port, "canbo000", f"doan-{i}-sai", f"198.18.{i // 250}.{i % 250 + 1}"),
                                  range(args.guesses)))  # fmt: skip
        guess_s = time.perf_counter() - t0
        verified, refused = codes.count(422), codes.count(429)
        right = attempt(port, "canbo000", PASSWORD, "198.19.0.1")
        print(f"phase 1: {args.guesses} guesses at one account in {guess_s:.1f} s: {verified} verified (422), "
              f"{refused} refused (429); the right password then: {right}", flush=True)  # fmt: skip

        peak = [proc.memory_info().rss]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], proc.memory_info().rss)
                time.sleep(0.005)

        sampler = threading.Thread(target=sample)
        sampler.start()
        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.burst) as pool:
            burst = list(pool.map(lambda i: attempt(port, f"canbo{i + 1:03d}", PASSWORD, f"198.20.0.{i + 1}"),
                                  range(args.burst)))  # fmt: skip
        burst_s = time.perf_counter() - t0
        done.set()
        sampler.join()
        print(f"phase 2: {args.burst} different accounts at once, {args.slots} hashing slots: "
              f"{burst.count(302)} signed in in {burst_s:.1f} s, server peak RSS {peak[0] / 2**20:.0f} MiB",
              flush=True)  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"verified={verified} refused={refused} guesses_per_s={args.guesses / guess_s:.1f} "
          f"burst_peak_rss_mb={peak[0] / 2**20:.0f} burst_s={burst_s:.2f}")


if __name__ == "__main__":
    main()
