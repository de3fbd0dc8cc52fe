"""No unfound quote is evidence: not for verification, not on public pages, not in downloads."""

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from curation import services
from curation.models import Agreement, Citation, Status
from tests.conftest import make_agreement, make_source
from tests.test_admin_workflow import agreement_with_inlines_form, messages_of, run_action

UNFOUND = "the Governments of Viet Nam and Russia signed"  # the source writes "Vietnam"


def add_unfound_citation(agreement) -> Citation:
    return Citation.objects.create(
        agreement=agreement, source=make_source(), quote=UNFOUND, supports=["place"]
    )


def download(client, **params):
    response = client.get(reverse("curation:agreement-list"), params)
    return b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")


def verified_with_a_quote_lost(alice, rita):
    """A verified agreement whose source's captured text was later corrected under its quote."""
    agreement = make_agreement(alice)
    services.verify_record(agreement, by=rita)
    source = agreement.citations.get().source
    source.captured_text = "A corrected capture that no longer holds the quote."
    source.save()
    agreement.refresh_from_db()
    assert agreement.status == Status.VERIFIED
    return agreement


def test_verify_refuses_a_record_with_any_unfound_quote_even_if_key_fields_are_covered(
    client, alice, rita
):
    agreement = make_agreement(alice)
    add_unfound_citation(agreement)
    assert not agreement.uncovered_fields()
    client.force_login(rita)
    response = run_action(client, "verify", [agreement])
    agreement.refresh_from_db()
    assert agreement.status == Status.IN_REVIEW
    assert any("not found in their source" in m and UNFOUND in m for m in messages_of(response))


def test_verify_succeeds_once_the_quote_is_corrected(alice, rita):
    agreement = make_agreement(alice)
    citation = add_unfound_citation(agreement)
    citation.quote = "the Governments of Vietnam and Russia signed"
    citation.save()
    services.verify_record(agreement, by=rita)
    agreement.refresh_from_db()
    assert agreement.status == Status.VERIFIED


def test_the_public_page_never_calls_an_unfound_quote_stated_in_the_source(client, alice, rita):
    agreement = verified_with_a_quote_lost(alice, rita)
    page = client.get(agreement.get_absolute_url()).content.decode()
    assert "Not found in the source's captured text" in page
    assert "Stated in the source" not in page


def test_downloads_carry_found_and_who_verified_by_role(client, alice, rita):
    agreement = verified_with_a_quote_lost(alice, rita)
    found_one = make_agreement(alice)
    services.verify_record(found_one, by=rita)
    results = {r["reference"]: r for r in json.loads(download(client, format="json"))["results"]}
    assert [c["found"] for c in results[agreement.reference]["citations"]] == [False]
    assert [c["found"] for c in results[found_one.reference]["citations"]] == [True]
    assert results[agreement.reference]["verified_by"] == "reviewer"
    assert results[agreement.reference]["verified_at"].startswith(
        agreement.verified_at.date().isoformat()
    )
    rows = {r["reference"]: r for r in csv.DictReader(io.StringIO(download(client, format="csv")))}
    assert rows[agreement.reference]["found"] == "no"
    assert rows[found_one.reference]["found"] == "yes"
    assert rows[agreement.reference]["verified_by"] == "reviewer"
    assert "rita" not in download(client, format="csv") + download(client, format="json")


def test_the_change_form_warns_at_the_top_about_an_unfound_quote(client, alice):
    agreement = make_agreement(alice)
    add_unfound_citation(agreement)
    client.force_login(alice)
    response = client.get(reverse("admin:curation_agreement_change", args=[agreement.pk]))
    assert any("NOT FOUND" in m and "cannot be verified" in m for m in messages_of(response))


@pytest.mark.parametrize("quote_found", [True, False])
def test_a_save_says_when_a_quote_is_not_found(client, alice, quote_found):
    agreement = make_agreement(alice)
    client.force_login(alice)
    quote = agreement.citations.get().quote
    form = agreement_with_inlines_form(
        agreement, **{"citations-0-quote": quote if quote_found else UNFOUND}
    )
    response = client.post(
        reverse("admin:curation_agreement_change", args=[agreement.pk]), form, follow=True
    )
    warned = any("NOT FOUND" in m for m in messages_of(response))
    assert warned is not quote_found


def test_a_save_that_takes_a_record_off_the_public_site_says_so(client, alice, rita, eve):
    agreement = make_agreement(alice)
    services.verify_record(agreement, by=rita)
    client.force_login(eve)
    form = agreement_with_inlines_form(agreement) | {"title_en": "A corrected title"}
    response = client.post(
        reverse("admin:curation_agreement_change", args=[agreement.pk]), form, follow=True
    )
    assert any("no longer on the public site" in m for m in messages_of(response))


def test_staff_preview_a_record_that_is_not_public_and_nobody_else_does(client, alice):
    draft = make_agreement(alice, status=Status.DRAFT, title_en="A draft in the works")
    preview = reverse("curation:agreement-preview", args=[draft.reference])
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(preview).status_code == 302  # to the login page
    client.force_login(alice)
    response = client.get(preview)
    page = response.content.decode()
    assert response.status_code == 200 and "A draft in the works" in page
    assert "Preview for curators" in page and response["X-Robots-Tag"] == "noindex"
    assert "no-cache" in response["Cache-Control"]
    change = client.get(reverse("admin:curation_agreement_change", args=[draft.pk]))
    assert preview in change.content.decode()  # "View on site" opens the preview


@pytest.mark.parametrize("microsecond", [0, 500_000])
def test_downloads_give_the_instant_of_verification_in_iso_8601(client, alice, rita, microsecond):
    agreement = make_agreement(alice)
    services.verify_record(agreement, by=rita)
    verified_at = datetime(2025, 3, 1, 9, 30, tzinfo=UTC).replace(microsecond=microsecond)
    Agreement.objects.filter(pk=agreement.pk).update(verified_at=verified_at)
    [record] = json.loads(download(client, format="json"))["results"]
    [row] = csv.DictReader(io.StringIO(download(client, format="csv")))
    assert record["verified_at"] == row["verified_at"] == verified_at.isoformat()
