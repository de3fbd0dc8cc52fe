"""Admin search and filters as curators type them: no accents, no capitals."""

from django.urls import reverse

from curation.models import Organization
from tests.conftest import make_agreement, make_organization, make_source


def changelist(client, model: str, **params):
    response = client.get(reverse(f"admin:curation_{model}_changelist"), params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_viet_nga_finds_viet_dash_nga(client, alice):
    source = make_source(title="Việt - Nga mở rộng hợp tác khoa học, công nghệ")
    make_source(title="New momentum for sci-tech cooperation with France, Cuba")
    client.force_login(alice)
    assert changelist(client, "source", q="viet nga") == [source]
    assert changelist(client, "source", q="VIỆT nga") == [source]


def test_records_are_found_by_party_name_or_acronym_without_diacritics(client, alice):
    agreement = make_agreement(alice, title_en="Thỏa thuận hợp tác về năng lượng")
    ministry = make_organization(
        "Ministry of Science and Technology (Vietnam)",
        acronym="MOST",
        name_original="Bộ Khoa học và Công nghệ",
    )
    agreement.party_links.create(organization=ministry)
    make_agreement(alice, title_en="Something else")
    client.force_login(alice)
    assert changelist(client, "agreement", q="thoa thuan") == [agreement]
    assert changelist(client, "agreement", q="bo khoa hoc") == [agreement]
    assert changelist(client, "agreement", q="most") == [agreement]


def test_renaming_an_organization_updates_record_search(client, alice):
    agreement = make_agreement(alice)
    party = agreement.organizations()[0]
    party.name = "Rosatom State Atomic Energy Corporation"
    party.save()
    client.force_login(alice)
    assert changelist(client, "agreement", q="rosatom") == [agreement]


def test_country_filter_includes_predecessor_states(client, alice):
    russia = make_organization("Russia", country="RU")
    soviet = make_organization("Soviet Union", country="SU", successor=russia)
    soviet_era = make_agreement(alice, date_signed="1959-03-07")
    soviet_era.party_links.create(organization=soviet)
    recent = make_agreement(alice)
    recent.party_links.create(organization=russia)
    make_agreement(alice)
    client.force_login(alice)
    assert set(changelist(client, "agreement", country="RU")) == {soviet_era, recent}
    assert changelist(client, "agreement", country="SU") == [soviet_era]


def test_successor_change_updates_predecessor_lineage(db):
    russia = make_organization("Russia", country="RU")
    soviet = make_organization("Soviet Union", country="SU", successor=russia)
    assert soviet.lineage_country == "RU"
    russia.successor = make_organization("Future state", country="XA")
    russia.save()
    assert Organization.objects.get(pk=soviet.pk).lineage_country == "XA"


def test_year_and_field_filters(client, alice):
    from curation.models import FieldOfCooperation

    nuclear = FieldOfCooperation.objects.create(name="Nuclear energy", slug="nuclear-energy")
    old = make_agreement(alice, date_signed="1959-03-07")
    old.fields.add(nuclear)
    make_agreement(alice, date_signed="2014-11")
    client.force_login(alice)
    assert changelist(client, "agreement", year="1959") == [old]
    assert changelist(client, "agreement", field="nuclear-energy") == [old]
    assert changelist(client, "agreement", year="19'59") == []
