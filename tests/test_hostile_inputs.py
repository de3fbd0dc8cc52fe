"""Every form, filter and upload given the hostile corpus: a clear answer, never a server
error, never markup executed, and nothing written."""

import pytest
import tablib
from django.urls import reverse

from curation.cells import neutralise
from curation.models import (
    Agreement,
    Citation,
    ImportBatch,
    Organization,
    Project,
    Publication,
    Source,
)
from curation.resources import RESOURCES
from curation.rules import text_problem
from curation.spreadsheets import importing
from curation.spreadsheets.formats import CSV, SpreadsheetError
from curation.spreadsheets.importing import read_table
from tests.hostile import HOSTILE_FILES, HOSTILE_TEXT
from tests.spreadsheets import confirm, confirm_data, upload
from tests.test_admin_workflow import agreement_form

PUBLIC_PARAMETERS = ["q", "country", "match", "field", "kind", "year_min", "year_max", "sort"]
MODELS_IN_ADMIN = [
    "agreement",
    "project",
    "source",
    "organization",
    "citation",
    "fieldofcooperation",
    "importbatch",
]
ADMIN_PARAMETERS = ["q", "country", "field", "year", "status", "o", "p"]
TEXT = list(HOSTILE_TEXT.values())
NAMES = list(HOSTILE_TEXT)


def snapshot():
    models = [Agreement, Project, Organization, Source, Citation, ImportBatch]
    return [m.objects.count() for m in models] + [Publication.edits_so_far()]


def assert_safe(response):
    assert response.status_code < 500
    body = b"".join(response) if getattr(response, "streaming", False) else response.content
    assert b"<script>alert(1)" not in body and b"<img src=x onerror" not in body
    assert b"owned=1" not in str(response.headers).encode() or response.status_code >= 400


@pytest.mark.parametrize("value", TEXT, ids=NAMES)
def test_public_filters_and_pages(client, seed, value):
    before = snapshot()
    for listing in ("curation:agreement-list", "curation:project-list"):
        url = reverse(listing)
        for parameter in PUBLIC_PARAMETERS:
            assert_safe(client.get(url, {parameter: value}))
        assert_safe(client.get(url, {"page": value}))
        assert_safe(client.get(url, {"q": value, "format": "csv"}))
        assert_safe(client.get(url, {"format": value}))
    for name in ("agreement-detail", "project-detail", "organization-detail", "source-detail"):
        assert_safe(client.get(f"/{name.split('-')[0]}s/{value[:200]}/"))
    assert snapshot() == before


@pytest.mark.parametrize("value", TEXT, ids=NAMES)
def test_admin_lists_search_and_filters(client, seed, alice, value):
    client.force_login(alice)
    before = snapshot()
    for model in MODELS_IN_ADMIN:
        url = reverse(f"admin:curation_{model}_changelist")
        for parameter in ADMIN_PARAMETERS:
            assert_safe(client.get(url, {parameter: value}))
    assert snapshot() == before


def test_nul_anywhere_in_a_request_is_refused_with_a_message(client, seed, alice):
    client.force_login(alice)
    before = snapshot()
    for response in [
        client.get("/agreements/", {"q": "a\x00b"}),
        client.get("/agreements/AGR-0001\x00/"),
        client.get(reverse("admin:curation_agreement_changelist"), {"status": "\x00"}),
        client.post(reverse("admin:curation_agreement_add"), agreement_form(title_en="x\x00")),
    ]:
        assert response.status_code == 400
        assert "NUL character" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("value", TEXT, ids=NAMES)
def test_admin_record_form(client, seed, alice, value):
    client.force_login(alice)
    before = snapshot()
    # a hostile value in every text field, and an impossible date: the form is refused whole
    hostile = {field: value for field in ("title_en", "title_original", "summary", "place")}
    response = client.post(
        reverse("admin:curation_agreement_add"),
        agreement_form(**hostile, date_signed="2014-13-45", original_language=value[:50]),
    )
    assert_safe(response)
    if "\x00" in value:  # refused before the form: see the NUL test above
        assert response.status_code == 400
    else:
        assert response.status_code == 200 and response.context["adminform"].form.errors
    assert snapshot() == before


@pytest.mark.parametrize("name, content", HOSTILE_FILES.values(), ids=list(HOSTILE_FILES))
def test_import_uploads_are_refused_with_a_message(client, seed, alice, name, content):
    client.force_login(alice)
    before = [m.objects.count() for m in (Agreement, Organization)]
    response = upload(client, content, name)
    assert_safe(response)
    assert response.status_code == 200
    if (
        "result" in response.context and response.context["result"]
    ):  # read: the preview says what is wrong, and offers nothing
        result = response.context["result"]
        assert result.has_errors() or result.has_validation_errors(), result.totals
        assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    else:
        assert response.context["form"].errors
    assert [m.objects.count() for m in (Agreement, Organization)] == before


def test_a_file_without_an_extension_is_read_in_the_format_the_editor_chose(client, seed, alice):
    client.force_login(alice)
    preview = upload(client, "title_en,kind\nA,Contract\n", "sheet")  # CSV chosen in the form
    assert preview.context["result"].totals["new"] == 1
    assert not Agreement.objects.filter(title_en="A").exists()


@pytest.mark.parametrize("name", ["../../etc/passwd.csv", "<img src=x onerror=alert(1)>.csv"])
def test_a_hostile_file_name_is_only_a_label(client, seed, alice, name, tmp_path):
    client.force_login(alice)
    preview = upload(
        client, "title_en,kind,parties\nNamed deal,Contract,Vietnam (signatory)\n", name
    )
    assert_safe(preview)
    assert "1 new" in confirm(client, confirm_data(preview))
    assert Agreement.objects.filter(title_en="Named deal").exists()
    assert_safe(client.get(reverse("admin:curation_importbatch_changelist")))


@pytest.mark.parametrize("value", TEXT, ids=NAMES)
def test_import_cells(seed, value):
    """A hostile value in each column of an agreement sheet: read without a crash, either
    accepted as plain text or refused with row, column and value; the preview writes nothing."""
    resource = RESOURCES[Agreement]
    before = snapshot()
    for column in resource.headers:
        cells = {"title_en": "Hostile test", "kind": "Contract", column: value}
        sheet = tablib.Dataset([neutralise(text) for text in cells.values()], headers=list(cells))
        data = CSV().export_data(sheet)
        try:
            plan = importing.plan(resource, read_table(data, "hostile.csv"))
        except SpreadsheetError as refusal:
            assert "\x00" in value and "NUL" in str(refusal)  # a CSV with NUL is not text
            continue
        for error in plan.errors:
            assert error.row == 2 and error.column in cells and error.message
        if text_problem(value):
            assert not plan.can_apply
    assert snapshot() == before
