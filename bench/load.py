"""Public pages under load while imports write; writes docs/bench-load.md.

    make bench-load        (or: .venv/bin/python bench/load.py --seconds 60 --rows 20000)

For each database (SQLite file in WAL mode, then PostgreSQL on 127.0.0.1):
  1. a database with the seed dataset and N synthetic verified agreements;
  2. gunicorn (3 workers, production settings, page cache on) on 127.0.0.1;
  3. wrk (2 threads, 16 connections) for S seconds on a mix of public list, filtered list,
     search, detail (about 40 verified records), feed, CSV and JSON download URLs: first alone (the baseline), then while
     20,000-row agreement imports run back to back in another process for the whole window
     (each import ends by invalidating the page cache, so pages are rebuilt under load);
  4. counts: non-2xx responses, socket errors and timeouts from wrk; "database is locked" and
     tracebacks in gunicorn's log; imports finished and failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "bench" / ".data"
VENV_BIN = Path(sys.executable).parent
PORT = 8110
POSTGRES = "postgres://postgres@127.0.0.1:5432"

PATHS = [
    "/",
    "/agreements/",
    "/agreements/?country=RU&year_min=2000",
    "/agreements/?q=nuclear",
    "/agreements/?field=energy&sort=title&page=2",
    "/projects/",
    "DETAIL",
    "/agreements/?country=FR&format=csv",
    "/agreements/?country=CU&format=json",
    "DETAIL",
    "/feed/",
]

LUA = """
local paths = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d\\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read
      + summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""

IMPORTER = """
import sys, time
import django; django.setup()
from bench.imports import sheet
from curation.accounts import ensure_user
from curation.models import Agreement
from curation.resources import RESOURCES
from curation.spreadsheets import importing
from curation.spreadsheets.importing import read_table
editor = ensure_user("load-editor", ["Editors"])
deadline, rows, done, failed = time.monotonic() + float(sys.argv[1]), int(sys.argv[2]), 0, 0
while time.monotonic() < deadline:
    try:
        data = sheet(rows, seed=100 + done + failed)
        plan = importing.plan(RESOURCES[Agreement], read_table(data, "load.csv"))
        importing.apply(plan, by=editor, filename="load.csv")
        done += 1
    except Exception as error:
        failed += 1
        print("import failed:", error, file=sys.stderr, flush=True)
print(done, failed, flush=True)
"""


def environment(url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",  # plain http on 127.0.0.1: no TLS proxy in front
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "coop.settings",
        "PYTHONPATH": str(ROOT),
    }


def manage(env: dict, *arguments: str) -> None:
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, check=True)


def prepare(kind: str, agreements: int) -> str:
    if kind == "sqlite":
        database = DATA / "load.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{database}"
    else:
        psql = ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c"]
        subprocess.run([*psql, "DROP DATABASE IF EXISTS coop_load WITH (FORCE)"], check=True)
        subprocess.run([*psql, "CREATE DATABASE coop_load"], check=True)
        url = f"{POSTGRES}/coop_load"
    env = environment(url)
    manage(env, "migrate", "-v0")
    manage(env, "setup_demo")
    manage(env, "generate_demo", "--agreements", str(agreements))
    return url


def detail_paths(url: str) -> list[str]:
    """Pages of some 30 verified agreements and 10 verified projects, spread over the tables."""
    paths = []
    for table, prefix, wanted in [("agreement", "agreements", 30), ("project", "projects", 10)]:
        query = f"SELECT reference FROM curation_{table} WHERE status = 'verified' ORDER BY id"
        if url.startswith("sqlite"):
            import sqlite3

            with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
                references = [reference for (reference,) in db.execute(query)]
        else:
            import psycopg

            with psycopg.connect(url) as db:
                references = [reference for (reference,) in db.execute(query).fetchall()]
        step = max(1, len(references) // wanted)
        paths += [f"/{prefix}/{reference}/" for reference in references[::step]]
    return paths


def write_script(url: str) -> Path:
    details = iter(detail_paths(url) * len(PATHS))
    paths = []
    for path in PATHS * 20:  # each detail slot takes another verified record's page
        paths.append(next(details) if path == "DETAIL" else path)
    script = DATA / "load.lua"
    script.write_text(LUA % ", ".join(json.dumps(path) for path in paths))
    return script


def start_server(env: dict, log: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "coop.wsgi", "-w", "3", "-b", f"127.0.0.1:{PORT}"]
        + ["--timeout", "120", "--error-logfile", str(log), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        probe = subprocess.run(
            ["curl", "-sf", "-o", "/dev/null", f"http://127.0.0.1:{PORT}/"], timeout=30
        )
        if probe.returncode == 0:
            return server
        time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"gunicorn did not start; see {log}")


def run_wrk(seconds: int, script: Path) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--timeout", "30s", "-s", str(script)]
        + [f"http://127.0.0.1:{PORT}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    numbers = re.search(r"RESULT (.*)", out).group(1).split()
    requests, non_2xx, socket_errors, timeouts, p50, p99, worst = map(int, numbers)
    return {
        "requests": requests,
        "rate": requests / seconds,
        "non_2xx": non_2xx,
        "socket_errors": socket_errors,
        "timeouts": timeouts,
        "p50_ms": p50 / 1000,
        "p99_ms": p99 / 1000,
        "max_ms": worst / 1000,
    }


def measure(kind: str, agreements: int, seconds: int, rows: int) -> dict:
    url = prepare(kind, agreements)
    env = environment(url)
    script = write_script(url)
    log = DATA / f"gunicorn-{kind}.log"
    log.unlink(missing_ok=True)
    server = start_server(env, log)
    try:
        baseline = run_wrk(seconds, script)
        importer = subprocess.Popen(
            [sys.executable, "-c", IMPORTER, str(seconds), str(rows)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(2)  # the first import is reading its sheet: let wrk meet its writing
        loaded = run_wrk(seconds, script)
        out, err = importer.communicate(timeout=seconds * 10)
        imports_done, imports_failed = map(int, out.split())
    finally:
        server.terminate()
        server.wait()
    server_log = log.read_text() if log.exists() else ""
    return {
        "database": "SQLite (WAL)" if kind == "sqlite" else "PostgreSQL 15",
        "baseline": baseline,
        "loaded": loaded,
        "imports_done": imports_done,
        "imports_failed": imports_failed,
        "import_errors": [line for line in err.splitlines() if "failed" in line][-5:],
        "locked": server_log.count("database is locked") + err.count("database is locked"),
        "tracebacks": server_log.count("Traceback"),
    }


def report(results: list[dict], seconds: int, rows: int, agreements: int) -> str:
    lines = [
        "# Load benchmark: public pages while imports write",
        "",
        f"Command: `make bench-load` (`bench/load.py --seconds {seconds} --rows {rows} "
        f"--agreements {agreements}`). gunicorn with 3 workers and production settings "
        "(DJANGO_DEBUG=0, page cache on) on 127.0.0.1; wrk -t2 -c16 for "
        f"{seconds} s over public URLs in turn: home, lists, filters, search, detail pages "
        "of about 40 verified agreements and projects, the feed, CSV and JSON downloads. The database holds the seed dataset and "
        f'{agreements:,} synthetic verified agreements. "During imports": {rows:,}-row '
        "agreement imports run back to back in another process for the whole window; each "
        "ends by invalidating the page cache. Same machine (2 cores) for server, wrk and "
        "importer, so compare rows of one run.",
        "",
        "| database | phase | requests/s | p50 (ms) | p99 (ms) | max (ms) | non-2xx | "
        "socket errors | timeouts |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        for phase, label in [("baseline", "alone"), ("loaded", "during imports")]:
            r = result[phase]
            lines.append(
                f"| {result['database']} | {label} | {r['rate']:.1f} | {r['p50_ms']:.1f} | "
                f"{r['p99_ms']:.1f} | {r['max_ms']:.1f} | {r['non_2xx']} | "
                f"{r['socket_errors']} | {r['timeouts']} |"
            )
    lines += [
        "",
        "| database | imports finished | imports failed | “database is locked” | "
        "tracebacks in the server log | p99 during imports / alone |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        ratio = result["loaded"]["p99_ms"] / max(result["baseline"]["p99_ms"], 0.001)
        lines.append(
            f"| {result['database']} | {result['imports_done']} | {result['imports_failed']} | "
            f"{result['locked']} | {result['tracebacks']} | {ratio:.2f}× |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rows", type=int, default=20_000, help="rows per import")
    parser.add_argument("--agreements", type=int, default=5_000, help="synthetic records")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--output", default=str(ROOT / "docs" / "bench-load.md"))
    options = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    DATA.mkdir(parents=True, exist_ok=True)
    results = []
    for kind in options.databases.split(","):
        result = measure(kind, options.agreements, options.seconds, options.rows)
        print(json.dumps(result), flush=True)
        results.append(result)
    Path(options.output).write_text(
        report(results, options.seconds, options.rows, options.agreements)
    )
    print(Path(options.output).read_text())
    failures = [
        r["database"]
        for r in results
        if r["locked"]
        or r["imports_failed"]
        or r["loaded"]["non_2xx"]
        or r["tracebacks"]
        or r["loaded"]["socket_errors"]
        or r["loaded"]["timeouts"]
    ]
    if failures:
        raise SystemExit(f"errors under load on: {', '.join(failures)}")


if __name__ == "__main__":
    main()
