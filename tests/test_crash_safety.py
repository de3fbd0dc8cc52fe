"""No partial writes: a process killed with SIGKILL half-way through an import or a
verification batch leaves the database exactly as it was, and intact.

Each test runs the work in a child process against a database file (SQLite) or a fresh
database (PostgreSQL, when the suite runs there), waits until the child is writing, kills it,
and compares a fingerprint of every table's rows before and after.
"""

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgres://postgres@127.0.0.1:5432"

IMPORT = """
import time
import django; django.setup()
from bench.imports import sheet
from curation.accounts import ensure_user
from curation.demo import _reference_data
from curation.models import Agreement
from curation.resources import RESOURCES
from curation.spreadsheets import importing
from curation.spreadsheets.formats import CSV
_reference_data()
editor = ensure_user("crash-editor", ["Editors"])
table = importing.Table.of(CSV().create_dataset(sheet(ROWS)))
plan = importing.plan(RESOURCES[Agreement], table)
print("writing", flush=True)
started = time.perf_counter()
importing.apply(plan, by=editor, filename="crash.csv")
print("done", time.perf_counter() - started, plan.counts["new"], flush=True)
"""

VERIFY = """
import time
import django; django.setup()
from curation import services
from curation.accounts import ensure_user
from curation.demo import generate_agreements
from curation.models import Agreement
if not Agreement.objects.filter(status="in_review").exists():
    generate_agreements(ROWS)
    Agreement.objects.update(status="in_review", verified_by=None, verified_at=None)
reviewer = ensure_user("crash-reviewer", ["Reviewers"])
print("writing", flush=True)
started = time.perf_counter()
done, refused = services.apply_to_each(
    Agreement.objects.order_by("pk"), services.verify_record, by=reviewer
)
print("done", time.perf_counter() - started, len(done), flush=True)
"""


def fingerprint(url: str) -> dict[str, str]:
    """Every table's rows, hashed: equal fingerprints mean equal contents."""
    if url.startswith("sqlite"):
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        tables = [
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
    else:
        db = psycopg.connect(url)
        tables = [
            name
            for (name,) in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        ]
    prints = {}
    for table in sorted(tables):
        rows = db.execute(f'SELECT * FROM "{table}"').fetchall()
        prints[table] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    db.close()
    return prints


def integrity(url: str) -> str:
    if not url.startswith("sqlite"):
        return "ok"  # PostgreSQL has no equivalent of SQLite's whole-file check
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def run_and_kill(url: str, code: str, rows: int, delay: float) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", code.replace("ROWS", str(rows))],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "coop.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "writing", child.stderr.read()
    before = fingerprint(url)
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    return child, before


def run_to_the_end(url: str, code: str, rows: int) -> tuple[float, int]:
    child = subprocess.run(
        [sys.executable, "-c", code.replace("ROWS", str(rows))],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "coop.settings"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert child.returncode == 0, child.stderr
    _, seconds, written = child.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(written)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code, rows, delay", [(IMPORT, 80_000, 0.7), (VERIFY, 800, 0.7)], ids=["import", "verify"]
)
def test_a_process_killed_mid_write_leaves_the_database_as_it_was(database_url, code, rows, delay):
    child, before = run_and_kill(database_url, code, rows, delay)
    assert child.returncode == -signal.SIGKILL
    assert "done" not in child.stdout.read()  # it died before its transaction ended
    assert integrity(database_url) == "ok"
    assert fingerprint(database_url) == before
    # The same work, run again without a kill, completes, writes every row, and takes well
    # over the delay: so the kill above did land half-way through the writing.
    seconds, written = run_to_the_end(database_url, code, rows)
    assert written == rows
    print(f"uninterrupted run: {seconds:.1f} s")
    assert seconds > 2 * delay, seconds
    assert fingerprint(database_url) != before
