"""Organizations may carry a Wikidata QID and a ROR ID: checked formats, each unique, on the
organization's page and in the downloads as sameAs."""

import json

import pytest
import tablib
from django.core.exceptions import ValidationError

from curation.models import Organization
from curation.resources import OrganizationResource


def organization(**values) -> Organization:
    values.setdefault("name", "Deutsche Forschungsgemeinschaft")
    return Organization(kind=Organization.Kind.FUND, country="DE", **values)


@pytest.mark.parametrize(
    "field, value",
    [
        ("wikidata_id", "881"),
        ("wikidata_id", "q881"),
        ("wikidata_id", "Q0881"),
        ("wikidata_id", "https://www.wikidata.org/wiki/Q881"),
        ("ror_id", "018mejw65"),  # the checksum of 018mejw64 is 64
        ("ror_id", "https://ror.org/018mejw64"),
        ("ror_id", "018MEJW64"),
        ("ror_id", "118mejw64"),
    ],
)
def test_malformed_identifiers_are_refused_with_their_field(db, field, value):
    with pytest.raises(ValidationError) as refused:
        organization(**{field: value}).full_clean()
    assert field in refused.value.message_dict


def test_well_formed_identifiers_are_kept_and_become_same_as(db):
    dfg = organization(wikidata_id="Q707283", ror_id="018mejw64")
    dfg.full_clean()
    assert dfg.same_as() == [
        "https://www.wikidata.org/wiki/Q707283",
        "https://ror.org/018mejw64",
    ]


def test_an_identifier_belongs_to_one_organization_and_blank_ones_to_many(db):
    organization(ror_id="018mejw64").save()
    with pytest.raises(ValidationError) as refused:
        organization(name="Another", ror_id="018mejw64").full_clean()
    assert "Another organization has this ROR ID." in str(refused.value)
    organization(name="No identifiers").full_clean()
    organization(name="No identifiers").save()
    organization(name="None either").full_clean()


def sheet(*rows):
    return tablib.Dataset(*rows, headers=["name", "kind", "wikidata_id"])


def test_an_import_refuses_an_identifier_taken_in_the_sheet_or_the_database(db):
    Organization.objects.create(name="Vietnam", kind="state", country="VN", wikidata_id="Q881")
    before = Organization.objects.count()
    result = OrganizationResource().import_data(
        sheet(
            ["Viet Nam", "State", "Q881"],
            ["Germany", "State", "Q183"],
            ["Federal Republic of Germany", "State", "Q183"],
        ),
        dry_run=False,
    )
    assert result.totals["invalid"] == 2 and Organization.objects.count() == before
    taken, repeated = (row.field_specific_errors["wikidata_id"][0] for row in result.invalid_rows)
    assert "Another organization has this Wikidata ID. (ORG-" in taken
    assert "Row 4" in repeated and "is also on row 3" in repeated


def test_an_import_may_keep_or_set_an_organizations_own_identifier(db):
    vietnam = Organization.objects.create(name="Vietnam", kind="state", country="VN")
    rows = sheet(["Vietnam", "State", "Q881"])
    assert OrganizationResource().import_data(rows, dry_run=False).totals["update"] == 1
    vietnam.refresh_from_db()
    assert vietnam.wikidata_id == "Q881"
    assert OrganizationResource().import_data(rows, dry_run=False).totals["skip"] == 1


def test_pages_and_downloads_give_the_identifiers_as_same_as(client, seed):
    russia = Organization.objects.get(name="Russia")
    page = client.get(russia.get_absolute_url()).content.decode()
    assert 'href="https://www.wikidata.org/wiki/Q159"' in page
    data = json.loads(b"".join(client.get("/agreements/?format=json&country=RU")))
    parties = [party for record in data["results"] for party in record["parties"]]
    assert {"https://www.wikidata.org/wiki/Q159"} in [set(p["same_as"]) for p in parties]


def test_a_new_organization_arrives_with_its_identifier(db):
    result = OrganizationResource().import_data(sheet(["Germany", "State", "Q183"]), dry_run=False)
    assert result.totals["new"] == 1
    assert Organization.objects.get(name="Germany").same_as() == [
        "https://www.wikidata.org/wiki/Q183"
    ]
