"""Settings from the environment, and SQLite configured for several processes at once."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, **environment) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "coop.settings", **environment}
    env.pop("SECRET_KEY", None) if "SECRET_KEY" not in environment else None
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests, never in production
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_python("import django; django.setup()", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_production_starts_with_a_secret_key_and_allowed_hosts():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.ALLOWED_HOSTS)"
    )
    result = run_python(
        code, DJANGO_DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="coop.example.org"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['coop.example.org']"


def test_a_debug_value_that_is_neither_yes_nor_no_is_refused():
    result = run_python("import django; django.setup()", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be 1 or 0" in result.stderr


WRITER = """
import sys, time, django
django.setup()
from django.db import transaction
from curation.models import ReferenceSequence
with transaction.atomic():
    # Read first: a deferred transaction would now hold a read lock and fail to upgrade it.
    ReferenceSequence.objects.count()
    time.sleep(0.5)
    ReferenceSequence.objects.create(prefix=sys.argv[1])
print("ok")
"""


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'coop.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    return url


def test_sqlite_file_runs_in_wal_mode(sqlite_file):
    code = (
        "import django; django.setup(); from django.db import connection; "
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    assert run_python(code, DATABASE_URL=sqlite_file).stdout.strip() == "wal"


def test_concurrent_sqlite_writers_wait_instead_of_failing(sqlite_file):
    env = {**os.environ, "DATABASE_URL": sqlite_file, "DJANGO_SETTINGS_MODULE": "coop.settings"}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, name],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("A", "B", "C")
    ]
    results = [writer.communicate(timeout=120) for writer in writers]
    for (stdout, stderr), writer in zip(results, writers, strict=True):
        assert writer.returncode == 0 and "database is locked" not in stderr, stderr
        assert stdout.strip() == "ok"


POSTGRESQL = "postgres://postgres@127.0.0.1:5432/test"  # on every machine here, CI included
SHOW_RANDOM_PAGE_COST = (
    "import django; django.setup(); from django.db import connection; "
    "c = connection.cursor(); c.execute('SHOW random_page_cost'); print(c.fetchone()[0])"
)


@pytest.mark.parametrize(
    ("database_url", "cost"),
    [
        (POSTGRESQL, "1.1"),  # index reads priced as on an SSD: downloads read chunks by index
        (POSTGRESQL + "?options=-c%20random_page_cost%3D2", "2"),  # the deployer's own choice
    ],
)
def test_postgresql_sessions_price_index_reads_as_on_an_ssd(database_url, cost):
    result = run_python(SHOW_RANDOM_PAGE_COST, DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == cost


# Two requests as a server process handles them: the signals around each request close a
# connection that has outlived CONN_MAX_AGE (Django's close_old_connections).
SAME_CONNECTION_FOR_TWO_REQUESTS = """
import django; django.setup()
from django.core.signals import request_finished, request_started
from django.db import connection
seen = []
for _ in range(2):
    request_started.send(sender=None)
    connection.ensure_connection()
    seen.append(connection.connection)  # held, so that its id is not reused
    request_finished.send(sender=None)
print(seen[0] is seen[1])
"""


@pytest.mark.parametrize(
    ("database_url", "reused"),
    [
        (POSTGRESQL, "True"),
        (POSTGRESQL + "?conn_max_age=0", "False"),  # the deployer's own choice
        ("sqlite:///{file}", "True"),
        ("sqlite:///{file}?conn_max_age=0", "False"),
    ],
)
def test_a_server_process_keeps_its_database_connection_between_requests(
    database_url, reused, tmp_path
):
    database_url = database_url.format(file=tmp_path / "coop.sqlite3")
    result = run_python(SAME_CONNECTION_FOR_TWO_REQUESTS, DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == reused
