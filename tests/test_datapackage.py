"""The public data as a Frictionless Data Package: the `frictionless` library validates the
package, served by the test server, with every table it points to (schemas, primary and
foreign keys); and the tables hold only what the public site shows."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from frictionless import validate

from curation.models import Agreement, Citation, Organization, Project, Source, Status
from curation.models.organizations import OrganizationQuerySet


@pytest.fixture
def served_seed(transactional_db, live_server):
    call_command("loaddata", "seed", verbosity=0)
    return live_server


def rows(client, name):
    response = client.get(f"/data/{name}.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response).decode("utf-8-sig"))))


def test_frictionless_finds_the_package_and_all_its_tables_valid(served_seed):
    report = validate(f"{served_seed.url}/data/datapackage.json")
    assert report.valid, report.flatten(["title", "type", "message"])[:5]
    assert [task.name for task in report.tasks] == [
        "agreements",
        "projects",
        "organizations",
        "sources",
        "citations",
    ]
    assert report.tasks[0].stats["rows"] == Agreement.objects.public().count()


def test_frictionless_reports_a_successor_missing_from_the_organizations(served_seed, monkeypatch):
    everyone_but_vietnam = OrganizationQuerySet.public

    def without_vietnam(queryset):
        return everyone_but_vietnam(queryset).exclude(name="Vietnam")

    monkeypatch.setattr(OrganizationQuerySet, "public", without_vietnam)
    report = validate(f"{served_seed.url}/data/datapackage.json")
    assert not report.valid
    assert "foreign-key" in {error.type for task in report.tasks for error in task.errors}


def test_the_package_names_its_licence_last_verification_and_keys(client, seed):
    package = json.loads(client.get("/data/datapackage.json").content)
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    verified = [
        *Agreement.objects.public().values_list("verified_at", flat=True),
        *Project.objects.public().values_list("verified_at", flat=True),
    ]
    assert package["created"] == max(verified).isoformat()
    schemas = {resource["name"]: resource["schema"] for resource in package["resources"]}
    assert schemas["agreements"]["primaryKey"] == ["reference"]
    assert schemas["citations"]["foreignKeys"] == [
        {"fields": ["source"], "reference": {"resource": "sources", "fields": ["reference"]}}
    ]


def test_the_tables_hold_only_what_the_public_site_shows(client, seed):
    hidden = Agreement.objects.get(title_en__contains="Gamaleya")  # no date: in review
    assert hidden.status == Status.IN_REVIEW
    assert hidden.reference not in {row["record"] for row in rows(client, "citations")}
    assert len(rows(client, "citations")) == Citation.objects.public().count()
    sources = rows(client, "sources")
    assert "notes" not in sources[0]
    assert len(sources) == Source.objects.public().count()
    names = {row["name"] for row in rows(client, "organizations")}
    assert "Russia" in names and "Soviet Union" in names
    only_in_review = set(
        Organization.objects.filter(agreement_links__agreement=hidden).values_list(
            "name", flat=True
        )
    ) - set(Organization.objects.public().values_list("name", flat=True))
    assert only_in_review and not names & only_in_review
    assert client.get("/data/users.csv").status_code == 404


def test_the_record_tables_are_the_list_downloads(client, seed):
    assert b"".join(client.get("/data/agreements.csv")) == b"".join(
        client.get("/agreements/?format=csv")
    )


def test_each_table_is_read_in_a_few_queries_however_many_rows(
    client, seed, django_assert_max_num_queries
):
    for name in ("organizations", "sources", "citations"):
        with django_assert_max_num_queries(5):
            assert len(rows(client, name)) > 4
