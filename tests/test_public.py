"""Only verified records reach the public, and hostile text stays text."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curation import services
from curation.models import Agreement, AgreementParty, AgreementRelation, Citation, Status
from tests.conftest import make_agreement, make_organization, make_project, make_source

ALL_STATUSES = [Status.DRAFT, Status.IN_REVIEW, Status.VERIFIED, Status.RETRACTED]


@pytest.mark.parametrize("status", ALL_STATUSES)
@pytest.mark.parametrize(
    ("make", "kind"), [(make_agreement, "agreement"), (make_project, "project")]
)
def test_only_verified_records_are_listed_and_shown(client, alice, status, make, kind):
    record = make(alice, status=status, title_en=f"Record in status {status}")
    listing = client.get(reverse(f"curation:{kind}-list")).content.decode()
    detail = client.get(record.get_absolute_url())
    home = client.get(reverse("curation:home")).content.decode()
    if status == Status.VERIFIED:
        assert record.title_en in listing and detail.status_code == 200
        assert f"1 verified {kind}" in home
    else:
        assert record.title_en not in listing
        assert detail.status_code == 404
        assert f"0 verified {kind}" in home


def test_detail_shows_the_record_with_its_citations(client, alice):
    agreement = make_agreement(alice, status=Status.VERIFIED, date_signed="2014-11")
    page = client.get(agreement.get_absolute_url()).content.decode()
    assert "November 2014" in page and "2014-11-01" not in page
    assert "On November 21, 2011, the Governments of Vietnam and Russia" in page
    assert agreement.organizations()[0].name in page


def test_unverified_related_records_are_not_linked_from_public_pages(client, alice):
    agreement = make_agreement(alice, status=Status.VERIFIED)
    hidden_project = make_project(alice, status=Status.IN_REVIEW, title_en="Hidden project")
    hidden_project.agreements.add(agreement)
    hidden_agreement = make_agreement(alice, status=Status.DRAFT, title_en="Hidden agreement")
    agreement.relations.create(kind="implements", other=hidden_agreement)
    page = client.get(agreement.get_absolute_url()).content.decode()
    assert "Hidden project" not in page and "Hidden agreement" not in page


def test_hostile_text_is_shown_as_text(client, alice):
    script = "<script>alert('x')</script>"
    agreement = make_agreement(alice, status=Status.VERIFIED, title_en=f"Title {script}")
    source = make_source(f"Evil quote {script} here", url="https://example.org/a")
    Citation.objects.create(agreement=agreement, source=source, quote=f"quote {script}")
    for url in [reverse("curation:agreement-list"), agreement.get_absolute_url()]:
        page = client.get(url).content.decode()
        assert script not in page
        assert "&lt;script&gt;" in page


def test_a_source_url_that_is_not_http_is_not_a_link(client, alice):
    agreement = make_agreement(alice, status=Status.VERIFIED)
    Source = agreement.citations.get().source.__class__
    Source.objects.update(url="javascript:alert(1)")
    page = client.get(agreement.get_absolute_url()).content.decode()
    assert "javascript:alert" not in page
    Source.objects.update(url="https://example.org/article")
    assert (
        'href="https://example.org/article"'
        in client.get(agreement.get_absolute_url()).content.decode()
    )


def test_citations_name_the_fields_they_support(client, alice):
    agreement = make_agreement(alice, status=Status.VERIFIED)
    page = client.get(agreement.get_absolute_url()).content.decode()
    assert "Supports: title, date signed, parties." in page


def test_a_record_page_names_what_it_links_to_in_a_fixed_number_of_queries(client, alice):
    """Each party, related agreement and project is named on the page from the page's own
    queries: none is read again one by one, however many there are."""
    agreement = make_agreement(alice, status=Status.VERIFIED)
    project = make_project(alice, status=Status.VERIFIED)

    def link_more():
        other = make_agreement(alice, status=Status.VERIFIED)
        AgreementParty.objects.create(agreement=agreement, organization=make_organization())
        AgreementRelation.objects.create(agreement=agreement, kind="amends", other=other)
        AgreementRelation.objects.create(agreement=other, kind="implements", other=agreement)
        implementing = make_project(alice, status=Status.VERIFIED)
        implementing.agreements.add(agreement)
        project.agreements.add(other)
        return other, implementing

    def page(record) -> tuple[str, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(record.get_absolute_url())
        assert response.status_code == 200
        return response.content.decode(), len(captured)

    linked = [link_more()]
    few = page(agreement)[1], page(project)[1]
    linked += [link_more() for _ in range(3)]
    (agreement_page, agreement_queries), (project_page, project_queries) = (
        page(agreement),
        page(project),
    )
    assert (agreement_queries, project_queries) == few
    for other, implementing in linked:
        assert other.get_absolute_url() in agreement_page and other.title_en in agreement_page
        assert implementing.title_en in agreement_page
        assert other.title_en in project_page
    for link in agreement.party_links.select_related("organization"):
        assert str(link.organization) in agreement_page
        assert link.organization.get_absolute_url() in agreement_page


def test_a_retracted_record_keeps_its_page_gone(client, alice, rita):
    agreement = make_agreement(alice)
    services.verify_record(agreement, by=rita)
    assert client.get(agreement.get_absolute_url()).status_code == 200
    services.retract_record(agreement, by=rita, reason="Wrong parties")
    assert client.get(agreement.get_absolute_url()).status_code == 404
    assert Agreement.objects.filter(pk=agreement.pk).exists()


@pytest.mark.parametrize(
    ("make", "kind"), [(make_agreement, "agreement"), (make_project, "project")]
)
def test_public_pages_run_a_fixed_number_of_queries(client, alice, make, kind):
    def queries(url) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    first = make(alice, status=Status.VERIFIED)
    few = queries(reverse(f"curation:{kind}-list")), queries(first.get_absolute_url())
    for _ in range(8):
        make(alice, status=Status.VERIFIED)
    assert (queries(reverse(f"curation:{kind}-list")), queries(first.get_absolute_url())) == few
