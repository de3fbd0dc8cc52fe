"""On SQLite one transaction writes at a time: a writer that waited out the timeout behind a
long import is told so, and nothing it tried to write is half-done or lost."""

import pytest
from django.db import OperationalError
from django.urls import reverse

from curation.models import Agreement, ImportBatch
from curation.spreadsheets import importing
from tests.conftest import make_agreement
from tests.spreadsheets import confirm, confirm_data, upload
from tests.test_admin_workflow import agreement_form
from tests.test_spreadsheet_safety import HEADER


def locked(*args, **kwargs):
    raise OperationalError("database is locked")  # what SQLite raises once its timeout ends


def test_a_save_that_waited_out_a_long_import_gets_a_clear_503(client, alice, monkeypatch):
    agreement = make_agreement(alice)
    client.force_login(alice)
    monkeypatch.setattr(Agreement, "save", locked)
    response = client.post(
        reverse("admin:curation_agreement_add"), agreement_form(title_en="Waiting deal")
    )
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert "busy writing a large import" in response.content.decode()
    assert not Agreement.objects.filter(title_en="Waiting deal").exists()
    assert Agreement.objects.get() == agreement


def test_other_database_errors_are_still_server_errors(client, alice, monkeypatch):
    client.force_login(alice)

    def broken(*args, **kwargs):
        raise OperationalError("no such table: curation_agreement")

    monkeypatch.setattr(Agreement, "save", broken)
    with pytest.raises(OperationalError):
        client.post(reverse("admin:curation_agreement_add"), agreement_form())


def test_an_import_confirmed_while_the_database_is_busy_keeps_its_sheet(
    client, seed, alice, monkeypatch
):
    client.force_login(alice)
    preview = upload(client, HEADER + "Busy deal,Contract,2022-05,Vietnam (signatory)\n")
    monkeypatch.setattr(importing, "apply", locked)
    page = confirm(client, confirm_data(preview))
    assert "Nothing was imported: the database stayed busy" in page
    assert "confirm again in a minute" in page
    batch = ImportBatch.objects.get()
    assert batch.state == "previewed" and bytes(batch.data).startswith(b"title_en")

    monkeypatch.undo()  # a minute later, the database is free
    assert "1 new" in confirm(client, confirm_data(preview))
    assert Agreement.objects.filter(title_en="Busy deal").count() == 1
