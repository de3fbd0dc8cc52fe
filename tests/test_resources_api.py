"""The resources as django-import-export documents them: export(), import_data() and its
Result, the library's management commands, and the admin's export of a filtered list."""

import csv
import io
import json
import os
import subprocess
import sys

import pytest
import tablib
from django.contrib.auth import get_user_model
from django.urls import reverse
from import_export.resources import ModelResource
from import_export.results import Result

from curation.models import Agreement, Citation, Organization, Project, Source, Status
from curation.resources import (
    AgreementResource,
    CitationResource,
    OrganizationResource,
    ProjectResource,
    SourceResource,
)
from tests.conftest import ROOT, make_agreement
from tests.spreadsheets import export_form

RESOURCES = [
    SourceResource,
    OrganizationResource,
    AgreementResource,
    ProjectResource,
    CitationResource,
]
HEADERS = {
    AgreementResource: "reference title_en title_original original_language kind date_signed "
    "place signed_by parties fields relations summary status version",
    ProjectResource: "reference title_en title_original original_language kind start end "
    "location budget_amount budget_currency participants agreements fields summary status version",
    OrganizationResource: "reference name name_original acronym kind country successor "
    "wikidata_id ror_id version",
    SourceResource: "reference title publisher author url published_on language kind "
    "captured_text notes version",
    CitationResource: "record source quote translation supports locator inferred inference "
    "found version",
}


@pytest.mark.parametrize("resource_class", RESOURCES)
def test_export_returns_a_dataset_with_the_documented_columns(seed, resource_class):
    assert issubclass(resource_class, ModelResource)
    resource = resource_class()
    dataset = resource.export()
    assert isinstance(dataset, tablib.Dataset)
    assert dataset.headers == HEADERS[resource_class].split()
    model = resource._meta.model
    assert len(dataset) == model.objects.count() > 0
    first = model.objects.order_by("pk")[:1]
    assert len(resource.export(first)) == 1


@pytest.mark.parametrize("resource_class", RESOURCES)
def test_a_list_of_records_exports_as_their_queryset_does(seed, resource_class):
    """The library's export() takes a list of objects too: same rows, lists included."""
    resource = resource_class()
    records = resource.get_queryset().order_by("pk")[:3]
    assert resource.export(list(records)).dict == resource.export(records).dict


@pytest.mark.parametrize("resource_class", RESOURCES)
def test_an_exported_dataset_imports_back_as_all_skipped(seed, resource_class):
    resource = resource_class()
    result = resource.import_data(resource.export(), dry_run=True)
    assert isinstance(result, Result)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == resource._meta.model.objects.count()
    assert result.totals["new"] == result.totals["update"] == 0


def agreement_rows(*rows) -> tablib.Dataset:
    return tablib.Dataset(*rows, headers=["title_en", "kind", "date_signed", "parties"])


def test_a_dry_run_counts_and_writes_nothing_then_the_real_run_writes(seed, alice):
    dataset = agreement_rows(["Dry deal", "Contract", "2021-04", "Vietnam (signatory)"])
    before = Agreement.objects.count(), Agreement.history.count()
    result = AgreementResource().import_data(dataset, dry_run=True, user=alice)
    assert result.totals["new"] == 1 and not result.has_errors()
    assert (Agreement.objects.count(), Agreement.history.count()) == before
    result = AgreementResource().import_data(dataset, dry_run=False, user=alice)
    assert result.totals["new"] == 1
    created = Agreement.objects.get(title_en="Dry deal")
    assert created.status == Status.IN_REVIEW and created.history.first().history_user == alice


def test_invalid_rows_are_validation_errors_naming_row_and_column_and_nothing_is_written(seed):
    dataset = agreement_rows(
        ["Good deal", "Contract", "2021", "Vietnam (signatory)"],
        ["Bad date", "Contract", "2021-02-30", "Vietnam (signatory)"],
        ["Bad kind", "Spaceship", "2021", "Vietnam (signatory)"],
    )
    before = Agreement.objects.count()
    result = AgreementResource().import_data(dataset, dry_run=False)
    assert result.has_validation_errors()
    assert "Nothing was imported: 2 row(s) are invalid" in str(result.base_errors[0].error)
    assert result.totals["invalid"] == 2 and result.totals["new"] == 1
    (date_row, kind_row) = result.invalid_rows
    assert date_row.number == 3 and "date_signed" in date_row.field_specific_errors
    assert "Row 3, column “date_signed”" in date_row.field_specific_errors["date_signed"][0]
    assert kind_row.number == 4 and "Spaceship" in kind_row.field_specific_errors["kind"][0]
    assert Agreement.objects.count() == before  # all rows or none


def test_an_unknown_column_is_an_error_of_the_import(seed):
    dataset = tablib.Dataset(["X", "Contract", "red"], headers=["title_en", "kind", "colour"])
    result = AgreementResource().import_data(dataset, dry_run=True)
    assert result.has_errors() and "colour" in str(result.base_errors[0].error)


def test_a_script_import_is_recorded_as_the_import_user(seed, settings):
    settings.IMPORT_USER = "nightly-sync"
    dataset = agreement_rows(["Scripted deal", "Contract", "2021", "Vietnam (signatory)"])
    AgreementResource().import_data(dataset)
    history = Agreement.objects.get(title_en="Scripted deal").history.first()
    assert history.history_user.username == "nightly-sync"
    assert not get_user_model().objects.get(username="nightly-sync").is_active


def run_command(url: str, *args: str) -> subprocess.CompletedProcess:
    """A management command in a process of its own, as a script or cron job runs it."""
    environment = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, capture_output=True, env=environment, timeout=120, cwd=ROOT)


def exported_rows(url: str) -> list[dict]:
    exported = run_command(url, "export", "CSV", "curation.resources.AgreementResource")
    assert exported.returncode == 0, exported.stderr
    return list(csv.DictReader(io.StringIO(exported.stdout.decode("utf-8-sig"))))


def write_sheet(path, rows: list[dict]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_the_librarys_export_and_import_commands_run_the_same_checks(database_url, tmp_path):
    assert run_command(database_url, "loaddata", "seed").returncode == 0
    rows = exported_rows(database_url)
    rows[0]["place"], rows[1]["date_signed"] = "Moscow", "2014-13"
    sheet = tmp_path / "sheet.csv"
    write_sheet(sheet, rows)
    arguments = ["import", "curation.resources.AgreementResource", str(sheet), "--no-input"]
    refused = run_command(database_url, *arguments)
    assert refused.returncode == 1 and b"2014-13" in refused.stderr  # named, row and column
    assert b"Row 3" in refused.stderr
    assert [row["place"] for row in exported_rows(database_url)][0] != "Moscow"  # none written
    rows[1]["date_signed"] = "2014-12"
    write_sheet(sheet, rows)
    done = run_command(database_url, *arguments)
    assert b"0 new, 2 updated" in done.stderr, done.stderr
    after = {row["reference"]: row for row in exported_rows(database_url)}
    assert after[rows[0]["reference"]]["place"] == "Moscow"
    assert after[rows[0]["reference"]]["status"] == "In review"
    who = run_command(
        database_url,
        "shell",
        "--no-imports",
        "-c",
        "from curation.models import Agreement; "
        "print(Agreement.history.filter(place='Moscow').get().history_user.username)",
    )
    assert who.stdout.decode().strip() == "import-script"


def test_the_admin_export_honours_the_lists_search_and_filters(client, alice):
    for title in ["Nuclear pact", "Nuclear plan", "Space deal"]:
        make_agreement(alice, title_en=title)
    client.force_login(alice)
    url = reverse("admin:curation_agreement_export")
    response = client.post(f"{url}?q=nuclear", export_form(AgreementResource, "csv"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    titles = sorted(row["title_en"] for row in csv.DictReader(io.StringIO(text)))
    assert titles == ["Nuclear pact", "Nuclear plan"]
    changelist = client.get(reverse("admin:curation_agreement_changelist") + "?q=nuclear")
    assert f"{url}?q=nuclear" in changelist.content.decode()  # the Export button keeps them


def test_export_selected_exports_only_the_selection(client, alice):
    chosen, _ = make_agreement(alice, title_en="Chosen"), make_agreement(alice, title_en="Other")
    client.force_login(alice)
    url = reverse("admin:curation_agreement_export")
    form = export_form(AgreementResource, "xlsx", export_items=[chosen.pk])
    response = client.post(url, form)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    dataset = tablib.Dataset().load(b"".join(response), format="xlsx")
    assert list(dataset["title_en"]) == ["Chosen"]


@pytest.mark.parametrize("model", [Source, Organization, Citation, Project])
def test_models_other_than_agreements_export_from_the_admin_too(client, seed, alice, model):
    client.force_login(alice)
    url = reverse(f"admin:curation_{model._meta.model_name}_export")
    resource_class = {
        Source: SourceResource,
        Organization: OrganizationResource,
        Citation: CitationResource,
        Project: ProjectResource,
    }[model]
    response = client.post(url, export_form(resource_class, "json"))
    assert len(json.loads(b"".join(response.streaming_content))) == model.objects.count()
