"""One set of rules on every way in: a value that the admin's form refuses, an import refuses
with the same message; every error during a confirm is an answer; no public URL fails."""

import io
import json
import re
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django.db import IntegrityError
from django.urls import reverse

from curation.cells import neutralise
from curation.models import Agreement, Citation, ImportBatch, Organization, Project, Source
from curation.resources import RESOURCES
from curation.spreadsheets import importing
from curation.spreadsheets.formats import CSV
from tests.spreadsheets import approve, confirm, confirm_data, planned, upload
from tests.test_admin_workflow import agreement_form

UNSTORABLE = {
    "noncharacter U+FFFE": "Deal \ufffe one",
    "noncharacter U+FFFF": "Deal \uffff",
    "noncharacter U+FDD0": "Deal \ufdd0",
    "noncharacter of plane 16": "Deal \U0010ffff",
    "vertical tab": "Deal\x0bone",
    "terminal colour escape": "\x1b[31mDeal",
    "bell": "Deal\x07",
}
BAD_AMOUNTS = [
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "1E+1000",
    "1e16",
    "10000000000000000",
    "1.000,00",
    "0.000001",
    "1.005",
    "9999999999999999.99",
    "1234567890123456",
    "\u0661\u0660\u0660",  # Arabic-Indic digits
    "\uff11\uff10\uff10",  # full-width digits
    "-5",
    "1 000",
]
BAD_COUNTRIES = ["zz", "<>", "1", "vn", "XX"]
BAD_CURRENCIES = ["usd", "<b>", "$$$", "ABC"]


def project_form(**values) -> dict:
    data = {
        "title_en": "Joint laboratory",
        "title_original": "",
        "original_language": "",
        "kind": "facility",
        "start": "",
        "end": "",
        "location": "",
        "budget_amount": "",
        "budget_currency": "",
        "summary": "",
        "internal_notes": "",
        "participant_links-TOTAL_FORMS": "0",
        "participant_links-INITIAL_FORMS": "0",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
    }
    return {**data, **values}


def organization_form(**values) -> dict:
    return {
        "name": "Hostile Institute",
        "name_original": "",
        "acronym": "",
        "kind": "agency",
        "country": "",
        "successor": "",
        **values,
    }


def form_errors(client, model: str, data: dict) -> dict[str, list[str]]:
    """The admin's add form posted: the errors it shows, by field (nothing is saved)."""
    response = client.post(reverse(f"admin:curation_{model}_add"), data)
    assert response.status_code == 200, "the form was saved"
    return response.context["adminform"].form.errors


def import_errors(model, cells: dict[str, str], file_format: str = "csv"):
    """One row imported (planned): the messages of its errors, by column."""
    sheet = tablib.Dataset([neutralise(value) for value in cells.values()], headers=list(cells))
    data = CSV().export_data(sheet) if file_format == "csv" else xlsx(sheet)
    plan = planned(model, data, file_format)
    assert not plan.can_apply
    errors = {}
    for error in plan.errors:
        errors.setdefault(error.column, []).append(error.message)
    return errors


def xlsx(sheet: tablib.Dataset) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(sheet.headers)
    for row in sheet:
        workbook.active.append(list(row))
    handle = io.BytesIO()
    workbook.save(handle)
    return handle.getvalue()


def same_message(form: list[str], sheet: list[str]) -> bool:
    """The form's sentence and the import's ("Row 2, column …: holds …") say the same."""
    return [m.lower() for m in form] == [m.lower() for m in sheet]


@pytest.mark.parametrize("value", UNSTORABLE.values(), ids=UNSTORABLE.keys())
def test_text_that_cannot_be_exported_is_refused_by_form_and_import_alike(
    client, seed, alice, value
):
    client.force_login(alice)
    form = form_errors(client, "agreement", agreement_form(title_en=value, summary=value))
    sheet = import_errors(Agreement, {"title_en": value, "kind": "Contract", "summary": value})
    assert form["title_en"] and form["summary"]
    assert same_message(form["title_en"], sheet["title_en"])
    assert f"U+{ord(next(c for c in value if c not in 'Deal one[31m')):04X}" in form["title_en"][0]
    assert not Agreement.objects.filter(title_en__startswith="Deal").exists()


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_a_budget_is_a_finite_amount_in_range_read_alike_by_form_and_import(
    client, seed, alice, amount
):
    client.force_login(alice)
    form = form_errors(client, "project", project_form(budget_amount=amount, budget_currency="USD"))
    sheet = import_errors(
        Project,
        {
            "title_en": "Joint lab",
            "kind": "Facility",
            "budget_amount": amount,
            "budget_currency": "USD",
        },
    )
    assert form["budget_amount"]
    assert same_message(form["budget_amount"], sheet["budget_amount"])
    assert not Project.objects.filter(title_en__in=["Joint lab", "Joint laboratory"]).exists()


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("1800000", Decimal("1800000")),
        ("1,800,000.50", Decimal("1800000.50")),
        ("1234567890123.45", Decimal("1234567890123.45")),
        ("1250000000000000", Decimal("1250000000000000")),
    ],
)
def test_a_budget_written_as_documented_is_stored_exactly(seed, alice, written, stored):
    cells = {
        "title_en": "Joint lab",
        "kind": "Facility",
        "budget_amount": written,
        "budget_currency": "USD",
    }
    sheet = tablib.Dataset(list(cells.values()), headers=list(cells))
    plan = planned(Project, CSV().export_data(sheet), "csv")
    importing.apply(plan, by=alice, filename="budgets.csv")
    assert Project.objects.get(title_en="Joint lab").budget_amount == stored


@pytest.mark.parametrize("code", BAD_COUNTRIES)
def test_a_country_is_an_iso_3166_code_on_every_way_in(client, seed, alice, code):
    alice.is_superuser = True  # organizations are reference data
    alice.save()
    client.force_login(alice)
    form = form_errors(client, "organization", organization_form(country=code))
    sheet = import_errors(
        Organization, {"name": "Hostile Institute", "kind": "Agency", "country": code}
    )
    assert same_message(form["country"], sheet["country"])
    assert "ISO 3166" in form["country"][0]


def test_former_states_keep_their_codes(seed, alice):
    cells = {
        "name": "Academy of Sciences of the GDR",
        "kind": "Research institute",
        "country": "DD",
    }
    plan = planned(
        Organization,
        CSV().export_data(tablib.Dataset(list(cells.values()), headers=list(cells))),
        "csv",
    )
    assert plan.can_apply, plan.errors


@pytest.mark.parametrize("code", BAD_CURRENCIES)
def test_a_currency_is_an_iso_4217_code_on_every_way_in(client, seed, alice, code):
    client.force_login(alice)
    form = form_errors(client, "project", project_form(budget_amount="10", budget_currency=code))
    sheet = import_errors(
        Project,
        {
            "title_en": "Joint lab",
            "kind": "Facility",
            "budget_amount": "10",
            "budget_currency": code,
        },
    )
    assert same_message(form["budget_currency"], sheet["budget_currency"])


def test_rules_between_fields_hold_for_imports_as_for_forms(client, seed, alice):
    client.force_login(alice)
    form = form_errors(client, "project", project_form(start="2020", end="2019-06"))
    sheet = import_errors(
        Project, {"title_en": "Joint lab", "kind": "Facility", "start": "2020", "end": "2019-06"}
    )
    assert same_message(form["end"], sheet["end"])
    form = form_errors(client, "project", project_form(start="2020-13", end="2019"))
    assert "has no month 13" in form["start"][0] and "end" not in form
    form = form_errors(client, "project", project_form(budget_amount="10"))
    sheet = import_errors(
        Project, {"title_en": "Joint lab", "kind": "Facility", "budget_amount": "10"}
    )
    assert same_message(form["budget_currency"], sheet["budget_currency"])


@pytest.mark.parametrize(
    ("model", "cells", "missing"),
    [
        (Agreement, {"title_en": "No kind here"}, "kind"),
        (Organization, {"name": "Kindless Institute"}, "kind"),
        (Source, {"title": "A source with no text"}, "captured_text"),
        (Citation, {"record": "AGR-0001", "quote": "agreement"}, "source"),
    ],
)
def test_a_new_record_needs_the_columns_its_form_requires(seed, model, cells, missing):
    errors = import_errors(model, cells)
    assert any("required for a new record" in message for message in errors[missing])


def test_one_new_organization_however_its_name_is_spaced_or_cased(client, seed, alice):
    client.force_login(alice)
    sheet = (
        "title_en,kind,parties\n"
        "First deal,Contract,Hostile Fold Org (signatory)\n"
        "Second deal,Contract,HOSTILE  fold org (signatory)\n"
    )
    preview = upload(client, sheet)
    page = preview.content.decode()
    assert page.count('name="name-') == 1
    approved = approve(client, preview, {"Hostile Fold Org": ("agency", "VN")})
    assert "2 new" in confirm(client, confirm_data(approved))
    organization = Organization.objects.get(name="Hostile Fold Org")
    assert Agreement.objects.filter(party_links__organization=organization).count() == 2
    assert not Organization.objects.filter(name__iexact="HOSTILE  fold org").exists()


def test_a_new_organization_name_too_long_to_store_cannot_be_ticked(client, seed, alice):
    client.force_login(alice)
    name = "Institute " * 32  # 320 characters
    preview = upload(client, f"title_en,kind,parties\nLong,Contract,{name.strip()} (signatory)\n")
    page = preview.content.decode()
    assert "at most 255 characters" in page
    assert 'name="name-' not in page


@pytest.fixture
def sheet_preview(client, seed, alice):
    client.force_login(alice)
    return upload(client, "title_en,kind,parties\nNamed deal,Contract,Vietnam (signatory)\n")


@pytest.mark.parametrize(
    "failure",
    [
        IntegrityError("CHECK constraint failed: budget_has_currency"),
        KeyError("source"),
    ],
)
def test_an_error_while_writing_ends_the_page_with_nothing_written(
    client, sheet_preview, monkeypatch, failure
):
    before = Agreement.objects.count()

    def fail(*args):
        raise failure

    monkeypatch.setitem(importing.WRITERS, Agreement, fail)
    data = confirm_data(sheet_preview)
    page = confirm(client, data)
    assert "Nothing was imported" in page and page.rstrip().endswith("</html>")
    assert Agreement.objects.count() == before
    monkeypatch.undo()
    again = confirm(client, data)
    assert "Nothing was imported" in again and Agreement.objects.count() == before
    if isinstance(failure, IntegrityError):
        assert "the database refused the data" in page
        assert ImportBatch.objects.get().state == ImportBatch.State.FAILED


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ('[{"title_en": "\\ud800", "kind": "Contract"}]', "unpaired surrogate"),
        ('[{"title_en": "x", "kind": "Contract", "kind": "Treaty"}]', "twice"),
        ('[{"title_en": NaN, "kind": "Contract"}]', "not a number in JSON"),
        ('[{"title_en": "x", "kind": ["Contract"]}]', "not a list"),
    ],
)
def test_json_that_cannot_be_read_as_written_is_refused(client, seed, alice, content, said):
    client.force_login(alice)
    preview = upload(client, content, name="rows.json")
    assert preview.status_code == 200
    assert said in preview.content.decode()
    assert not Agreement.objects.filter(title_en="x").exists()


def test_json_numbers_are_read_as_written(seed):
    rows = json.dumps([{"title_en": "Lab", "kind": "Facility", "budget_currency": "USD"}])
    data = rows.replace('"USD"', '"USD", "budget_amount": 1e400').encode()
    plan = importing.plan(RESOURCES[Project], importing.read_table(data, "rows.json"))
    assert [(e.column, e.value) for e in plan.errors] == [("budget_amount", "1e400")]


@pytest.mark.parametrize(
    "text", ["\u00a0Title with no-break spaces\u00a0", "Title\u3000", "\u2029Paragraph"]
)
def test_white_space_other_than_spaces_and_tabs_is_kept_the_same_way_everywhere(
    client, seed, alice, text
):
    client.force_login(alice)
    response = client.post(reverse("admin:curation_agreement_add"), agreement_form(title_en=text))
    assert response.status_code == 302
    from_form = Agreement.objects.get(title_en=text)
    cells = {"title_en": text, "kind": "Contract"}
    for file_format in ("csv", "xlsx"):
        sheet = tablib.Dataset(list(cells.values()), headers=list(cells))
        data = CSV().export_data(sheet) if file_format == "csv" else xlsx(sheet)
        plan = planned(Agreement, data, file_format)
        assert plan.rows[0].values["title_en"] == from_form.title_en == text


def test_text_is_composed_the_same_way_from_every_format_and_the_form(client, seed, alice):
    decomposed = "Tho\u0309a thua\u0323\u0302n"  # as macOS may type "Thỏa thuận"
    client.force_login(alice)
    client.post(reverse("admin:curation_agreement_add"), agreement_form(title_en=decomposed))
    from_form = Agreement.objects.order_by("-pk").first().title_en
    cells = {"title_en": decomposed, "kind": "Contract"}
    sheet = tablib.Dataset(list(cells.values()), headers=list(cells))
    from_csv = planned(Agreement, CSV().export_data(sheet), "csv").rows[0].values["title_en"]
    from_xlsx = planned(Agreement, xlsx(sheet), "xlsx").rows[0].values["title_en"]
    assert from_form == from_csv == from_xlsx == "Thỏa thuận"


@pytest.mark.parametrize(
    ("cell", "stored"),
    [
        ("'tis the season", "'tis the season"),
        ("''quoted''", "'quoted''"),  # an export's apostrophe before the editor's own
        ("'=1+1", "=1+1"),
        ("'-1 degree", "-1 degree"),
    ],
)
def test_an_apostrophe_is_taken_off_only_where_an_export_put_it(seed, cell, stored):
    sheet = tablib.Dataset(["Deal", "Contract", cell], headers=["title_en", "kind", "summary"])
    plan = planned(Agreement, CSV().export_data(sheet), "csv")
    assert plan.rows[0].values["summary"] == stored


@pytest.mark.parametrize("path", ["/agreements/", "/projects/", "/vi/agreements/", "/"])
@pytest.mark.parametrize(
    "query",
    [
        {"year_max": "9999"},
        {"year_min": "9999"},
        {"year_min": "1", "year_max": "9999"},
        {"year_max": "9999", "format": "csv"},
        {"year_max": "9999", "format": "json"},
    ],
)
def test_no_year_a_filter_allows_breaks_a_page(client, seed, path, query):
    response = client.get(path, query)
    assert response.status_code == 200
    if query.get("year_max") == "9999" and "year_min" not in query and "agreements" in path:
        body = b"".join(response) if response.streaming else response.content
        assert b"AGR-0001" in body  # dated 1959: within any year up to 9999


def test_unknown_names_are_capped_and_still_get_their_closest_names(
    client, seed, alice, monkeypatch
):
    monkeypatch.setattr(importing, "SHOWN_UNKNOWN", 3)
    known = Organization.objects.order_by("name").first()
    misspelt = known.name[:-1] + "x"
    rows = [f"Deal {n},Contract,Unknown body {n} (signatory)" for n in range(5)]
    rows.append(f"Deal 9,Contract,{misspelt} (signatory)")
    client.force_login(alice)
    page = upload(client, "title_en,kind,parties\n" + "\n".join(rows) + "\n").content.decode()
    assert page.count('name="name-') == 3
    assert "3 more names in the sheet match no organization" in page
    plan = planned(Agreement, ("title_en,kind,parties\n" + rows[-1] + "\n").encode(), "csv")
    assert plan.unknown_organizations == {misspelt: [known.name]}
    typo = "Minstry of Science and Tecnology (Vietnam)"
    plan = planned(Agreement, f"title_en,kind,parties\nDeal,Contract,{typo}\n".encode(), "csv")
    assert plan.unknown_organizations[typo][0] == "Ministry of Science and Technology (Vietnam)"


def test_a_formula_whose_result_the_file_lacks_is_named_not_read_as_empty(client, seed, alice):
    workbook = openpyxl.Workbook()  # openpyxl saves formulas without their results
    workbook.active.append(["title_en", "kind"])
    workbook.active.append(['=HYPERLINK("http://example.com","Deal")', "Contract"])
    handle = io.BytesIO()
    workbook.save(handle)
    client.force_login(alice)
    page = upload(client, handle.getvalue(), name="formulas.xlsx").content.decode()
    assert "Row 2, column “title_en” holds a formula" in page
    assert "title_en is required" not in page


def test_an_unclosed_quote_is_named_as_such(client, seed, alice):
    client.force_login(alice)
    sheet = 'title_en,kind\nFirst,Contract\n"Never closed,Contract\nThird,Contract\n'
    page = upload(client, sheet).content.decode()
    assert "A quoted cell that starts on line 3 is never closed" in page
    assert "is required" not in page


def test_a_repeated_row_is_blamed_on_a_column_the_sheet_has(seed):
    sheet = b"title_en,kind,date_signed\nSame deal,Contract,2001\nSame deal,Treaty,2001\n"
    [error] = planned(Agreement, sheet, "csv").errors
    assert (error.row, error.column, error.value) == (3, "title_en", "Same deal")
    assert "same record (the same English title and date) as row 2" in error.message


def test_the_preview_says_which_cells_are_stored_otherwise_than_written(client, seed, alice):
    client.force_login(alice)
    sheet = 'title_en,kind,summary\n  Padded deal ,Contract,"Tho\u0309a thua\u0323\u0302n"\n'
    page = upload(client, sheet).content.decode()
    notes = re.search(r'<table id="import-notes">.*?</table>', page, re.S).group()
    assert "title_en" in notes and "Loses the spaces or tabs at its ends" in notes
    assert "summary" in notes and "composed Unicode (NFC)" in notes
    exported = "title_en,kind\nClean deal,Contract\n"
    assert 'id="import-notes"' not in upload(client, exported).content.decode()
