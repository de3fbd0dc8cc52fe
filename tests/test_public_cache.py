"""Cached public pages never outlive a change to the curated data."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curation import services
from curation.models import (
    Agreement,
    AgreementParty,
    Citation,
    FieldOfCooperation,
    Publication,
    Source,
    Status,
)
from curation.spreadsheets import importing
from tests.conftest import make_agreement
from tests.spreadsheets import planned

LIST = reverse("curation:agreement-list")


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PUBLIC_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response.content.decode(), len(queries)


def test_a_cached_page_costs_one_query(client, alice):
    make_agreement(alice, status=Status.VERIFIED)
    first, cold = get(client, LIST)
    again, warm = get(client, LIST)
    assert again == first
    assert warm == 1 < cold


def test_verifying_shows_the_record_at_once(client, alice, rita):
    agreement = make_agreement(alice, title_en="Waiting for review")
    assert "Waiting for review" not in get(client, LIST)[0]
    services.verify_record(agreement, by=rita)
    assert "Waiting for review" in get(client, LIST)[0]
    assert get(client, agreement.get_absolute_url())[0]


def test_retracting_removes_the_record_at_once(client, alice, rita):
    agreement = make_agreement(alice, title_en="Soon retracted")
    services.verify_record(agreement, by=rita)
    assert client.get(agreement.get_absolute_url()).status_code == 200
    assert "Soon retracted" in get(client, LIST)[0]
    services.retract_record(agreement, by=rita, reason="Wrong source")
    assert client.get(agreement.get_absolute_url()).status_code == 404
    assert "Soon retracted" not in get(client, LIST)[0]


def test_an_edit_to_a_party_name_shows_at_once(client, alice):
    agreement = make_agreement(alice, status=Status.VERIFIED)
    organization = agreement.organizations()[0]
    get(client, agreement.get_absolute_url())
    organization.name = "Renamed ministry"
    organization.save()
    assert "Renamed ministry" in get(client, agreement.get_absolute_url())[0]


def test_languages_and_queries_are_cached_apart(client, alice):
    make_agreement(alice, status=Status.VERIFIED)
    english, _ = get(client, LIST)
    vietnamese, _ = get(client, "/vi/agreements/")
    filtered, _ = get(client, LIST + "?kind=treaty")
    assert english != vietnamese and english != filtered
    assert '<html lang="vi">' in vietnamese


def test_downloads_are_never_cached(client, alice, rita):
    agreement = make_agreement(alice)
    b"".join(client.get(LIST, {"format": "csv"}).streaming_content)
    services.verify_record(agreement, by=rita)
    body = b"".join(client.get(LIST, {"format": "csv"}).streaming_content).decode()
    assert agreement.reference in body


# Each kind of write, and whether it may change what the public sees: only those flush the
# public pages (Publication.current), while every write counts as an edit (the import's check
# that nothing changed between preview and confirm).
def draft_saved(alice, rita, public, private):
    private.internal_notes = "Still a draft"
    services.save_record(private, by=alice)


def verified(alice, rita, public, private):
    services.verify_record(private, by=rita)


def retracted(alice, rita, public, private):
    services.retract_record(public, by=rita, reason="Wrong source")


def verified_record_edited(alice, rita, public, private):
    public.title_en = "Corrected title"
    services.save_record(public, by=alice)


def citation_added_to_a_record_in_review(alice, rita, public, private):
    citation = private.citations.get()
    Citation.objects.create(agreement=private, source=citation.source, quote=citation.quote)


def citation_added_to_a_verified_record(alice, rita, public, private):
    citation = public.citations.get()
    Citation.objects.create(agreement=public, source=citation.source, quote=citation.quote)


def party_added_to_a_record_in_review(alice, rita, public, private):
    AgreementParty.objects.create(agreement=private, organization=public.organizations()[0])


def field_added_to_a_record_in_review(alice, rita, public, private):
    private.fields.add(FieldOfCooperation.objects.get(slug="oceans"))


def field_added_to_a_verified_record(alice, rita, public, private):
    public.fields.add(FieldOfCooperation.objects.get(slug="oceans"))


def organization_renamed(alice, rita, public, private):
    organization = private.organizations()[0]
    organization.name = "Renamed institute"
    organization.save()


def source_of_a_record_in_review_edited(alice, rita, public, private):
    source = private.citations.get().source
    source.publisher = "Another publisher"
    source.save()


def source_of_a_verified_record_edited(alice, rita, public, private):
    source = public.citations.get().source
    source.publisher = "Another publisher"
    source.save()


def vocabulary_changed(alice, rita, public, private):
    FieldOfCooperation.objects.create(name="Glaciology", slug="glaciology")


def records_imported_into_review(alice, rita, public, private):
    sheet = b"title_en,kind\nImported deal,Contract\n"
    importing.apply(planned(Agreement, sheet, "csv"), by=alice, filename="new.csv")


def verified_record_changed_by_an_import(alice, rita, public, private):
    sheet = f"reference,summary\n{public.reference},Changed by a sheet\n".encode()
    importing.apply(planned(Agreement, sheet, "csv"), by=alice, filename="changed.csv")


def citation_imported_for_a_record_in_review(alice, rita, public, private):
    source = private.citations.get().source
    sheet = f"record,source,quote\n{private.reference},{source.reference},A new quote\n"
    importing.apply(planned(Citation, sheet.encode(), "csv"), by=alice, filename="c.csv")


def source_of_a_verified_record_changed_by_an_import(alice, rita, public, private):
    source = public.citations.get().source
    sheet = f"reference,publisher\n{source.reference},Another publisher\n"
    importing.apply(planned(Source, sheet.encode(), "csv"), by=alice, filename="s.csv")


@pytest.mark.parametrize(
    ("write", "flushes"),
    [
        (draft_saved, False),
        (verified, True),
        (retracted, True),
        (verified_record_edited, True),
        (citation_added_to_a_record_in_review, False),
        (citation_added_to_a_verified_record, True),
        (party_added_to_a_record_in_review, False),
        (field_added_to_a_record_in_review, False),
        (field_added_to_a_verified_record, True),
        (organization_renamed, True),
        (source_of_a_record_in_review_edited, False),
        (source_of_a_verified_record_edited, True),
        (vocabulary_changed, True),
        (records_imported_into_review, False),
        (verified_record_changed_by_an_import, True),
        (citation_imported_for_a_record_in_review, False),
        (source_of_a_verified_record_changed_by_an_import, True),
    ],
)
def test_only_writes_the_public_can_see_flush_the_public_pages(client, alice, rita, write, flushes):
    public = make_agreement(alice, status=Status.VERIFIED, title_en="Public deal")
    private = make_agreement(alice, title_en="Private deal")
    FieldOfCooperation.objects.create(name="Oceans", slug="oceans")
    cached, _ = get(client, LIST)
    generation, edits = Publication.current(), Publication.edits_so_far()
    write(alice, rita, public, private)
    assert Publication.edits_so_far() > edits
    assert (Publication.current() > generation) is flushes
    page, queries = get(client, LIST)
    if not flushes:
        assert page == cached and queries == 1  # still served from the cache
