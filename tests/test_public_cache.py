"""Cached public pages never outlive a change to the curated data."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curation import services
from curation.models import Status
from tests.conftest import make_agreement

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
