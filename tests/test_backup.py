"""`manage.py backup` while the app runs, then a restore done as the README says."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from curation.models import Agreement, Citation, Organization, Project, Source
from tests.conftest import make_agreement, make_project

ROOT = Path(__file__).resolve().parent.parent
MODELS = [Agreement, Project, Organization, Source, Citation]
COUNT = (
    "from curation.models import Agreement, Citation, Organization, Project, Source; "
    "print([(m.objects.count(), m.history.count()) for m in "
    "(Agreement, Project, Organization, Source, Citation)]); "
    "print(sorted(Agreement.objects.values_list('reference', 'title_en')))"
)


def restored(database_url: str) -> list[str]:
    environment = {**os.environ, "DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", COUNT],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-2:]


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_every_record_and_its_history(alice, tmp_path):
    for number in range(3):
        make_agreement(alice, title_en=f"Agreement {number}")
    make_project(alice)
    expected = [
        str([(m.objects.count(), m.history.count()) for m in MODELS]),
        str(sorted(Agreement.objects.values_list("reference", "title_en"))),
    ]
    target = tmp_path / "coop.backup"
    call_command("backup", str(target))
    assert target.exists() and not Path(f"{target}.partial").exists()

    if connection.vendor == "sqlite":
        # Restore: put the copy where DATABASE_URL points.
        assert restored(f"sqlite:///{target}") == expected
    else:
        name = f"restore_{uuid.uuid4().hex[:8]}"
        server = "postgres://postgres@127.0.0.1:5432"
        psql = ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c"]
        subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True)
        try:
            subprocess.run(
                ["pg_restore", "--no-owner", "-h", "127.0.0.1", "-U", "postgres", "-d", name]
                + [str(target)],
                check=True,
            )
            assert restored(f"{server}/{name}") == expected
        finally:
            subprocess.run([*psql, f"DROP DATABASE {name}"], check=True)


@pytest.mark.django_db(transaction=True)
def test_a_backup_never_overwrites_a_file(tmp_path):
    target = tmp_path / "taken.backup"
    target.write_text("an older backup")
    with pytest.raises(Exception, match="exists already"):
        call_command("backup", str(target))
    assert target.read_text() == "an older backup"
