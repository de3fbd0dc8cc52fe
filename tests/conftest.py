"""Personas and small factories shared by the tests.

alice and eve are editors, rita and ravi reviewers; the superuser is only for admin smoke tests.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from curation import services
from curation.accounts import ensure_user
from curation.models import (
    Agreement,
    AgreementParty,
    Citation,
    Organization,
    Project,
    ProjectParticipant,
    Source,
    Status,
)
from curation.roles import EDITORS, REVIEWERS

SOURCE_TEXT = (
    "Hanoi (VNA) - On November 21, 2011, the Governments of Vietnam and Russia signed a "
    "cooperation agreement on building the Centre of Nuclear Science and Technology (CNST) in "
    "Vietnam. The Ministry of Science and Technology is its investor."
)
AGREEMENT_QUOTE = (
    "On November 21, 2011, the Governments of Vietnam and Russia signed a cooperation agreement"
)
_names = itertools.count(1)


@pytest.fixture
def alice(db):
    return ensure_user("alice", [EDITORS])


@pytest.fixture
def eve(db):
    return ensure_user("eve", [EDITORS])


@pytest.fixture
def rita(db):
    return ensure_user("rita", [REVIEWERS])


@pytest.fixture
def ravi(db):
    return ensure_user("ravi", [REVIEWERS])


def make_source(text: str = SOURCE_TEXT, **values) -> Source:
    values.setdefault("title", f"Source {next(_names)}")
    return Source.objects.create(captured_text=text, **values)


def make_organization(name: str | None = None, **values) -> Organization:
    values.setdefault("kind", Organization.Kind.STATE)
    return Organization.objects.create(name=name or f"Organization {next(_names)}", **values)


def make_agreement(editor, *, covered: bool = True, status=Status.IN_REVIEW, **values) -> Agreement:
    """An agreement last edited by editor; covered means its key fields rest on a found quote."""
    values.setdefault("title_en", f"Agreement {next(_names)}")
    values.setdefault("kind", Agreement.Kind.INTERGOVERNMENTAL)
    values.setdefault("date_signed", "2011-11-21")
    agreement = Agreement(**values)
    services.save_record(agreement, by=editor)
    AgreementParty.objects.create(agreement=agreement, organization=make_organization())
    if covered:
        Citation.objects.create(
            agreement=agreement,
            source=make_source(),
            quote=AGREEMENT_QUOTE,
            supports=["title", "date_signed", "parties"],
        )
    Agreement.objects.filter(pk=agreement.pk).update(status=status)
    agreement.refresh_from_db()
    return agreement


def make_project(editor, *, covered: bool = True, status=Status.IN_REVIEW, **values) -> Project:
    values.setdefault("title_en", f"Project {next(_names)}")
    values.setdefault("kind", Project.Kind.FACILITY)
    project = Project(**values)
    services.save_record(project, by=editor)
    ProjectParticipant.objects.create(project=project, organization=make_organization())
    if covered:
        Citation.objects.create(
            project=project,
            source=make_source(),
            quote="The Ministry of Science and Technology is its investor.",
            supports=["title", "participants"],
        )
    Project.objects.filter(pk=project.pk).update(status=status)
    project.refresh_from_db()
    return project


ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgres://postgres@127.0.0.1:5432"


@pytest.fixture
def database_url(tmp_path, django_db_blocker):
    """A migrated database of its own, on the vendor the tests run on, for child processes."""
    with django_db_blocker.unblock():
        vendor = connection.vendor
    if vendor == "sqlite":
        url = f"sqlite:///{tmp_path / 'coop.sqlite3'}"
    else:
        name = f"crash_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        url = f"{SERVER}/{name}"
    environment = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=environment, check=True
    )
    yield url
    if vendor != "sqlite":
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {url.rsplit('/', 1)[1]} WITH (FORCE)")


@pytest.fixture
def seed(db):
    from django.core.management import call_command

    call_command("loaddata", "seed", verbosity=0)


@pytest.fixture(autouse=True)
def no_public_page_cache(settings):
    """Tests read each response's context; test_public_cache.py turns the cache back on."""
    settings.PUBLIC_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def english():
    """A request in Vietnamese leaves Vietnamese active in the test's thread; reset it."""
    from django.utils import translation

    with translation.override("en"):
        yield
