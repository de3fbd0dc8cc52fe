"""The review workflow as curators use it, through the Django admin."""

from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse

from curation.models import (
    Agreement,
    Citation,
    FieldOfCooperation,
    Organization,
    Publication,
    Source,
    Status,
)
from tests.conftest import AGREEMENT_QUOTE, make_agreement, make_organization, make_source

CHANGELIST = reverse("admin:curation_agreement_changelist")


def run_action(client, action, records, **extra):
    data = {"action": action, "_selected_action": [r.pk for r in records], **extra}
    return client.post(CHANGELIST, data, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def agreement_form(**values) -> dict:
    data = {
        "title_en": "Agreement on nuclear cooperation",
        "title_original": "",
        "original_language": "",
        "kind": "intergovernmental_agreement",
        "date_signed": "2011-11-21",
        "place": "",
        "signed_by": "",
        "summary": "",
        "internal_notes": "",
        "party_links-TOTAL_FORMS": "0",
        "party_links-INITIAL_FORMS": "0",
        "relations-TOTAL_FORMS": "0",
        "relations-INITIAL_FORMS": "0",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
    }
    data.update(values)
    return data


def agreement_with_inlines_form(agreement, **values) -> dict:
    """The change form of an agreement with its one party and one citation, as loaded."""
    party, citation = agreement.party_links.get(), agreement.citations.get()
    return agreement_form(
        title_en=agreement.title_en,
        **{
            "party_links-TOTAL_FORMS": "1",
            "party_links-INITIAL_FORMS": "1",
            "party_links-0-id": party.pk,
            "party_links-0-agreement": agreement.pk,
            "party_links-0-organization": party.organization_id,
            "party_links-0-role": "signatory",
            "citations-TOTAL_FORMS": "1",
            "citations-INITIAL_FORMS": "1",
            "citations-0-id": citation.pk,
            "citations-0-agreement": agreement.pk,
            "citations-0-source": citation.source_id,
            "citations-0-quote": citation.quote,
            "citations-0-supports": citation.supports,
            **values,
        },
    )


def test_editor_creates_an_agreement_with_party_and_citation(client, alice):
    client.force_login(alice)
    state, source = make_organization("Vietnam"), make_source()
    response = client.post(
        reverse("admin:curation_agreement_add"),
        agreement_form(
            **{
                "party_links-TOTAL_FORMS": "1",
                "party_links-0-organization": state.pk,
                "party_links-0-role": "signatory",
                "citations-TOTAL_FORMS": "1",
                "citations-0-source": source.pk,
                "citations-0-quote": AGREEMENT_QUOTE,
                "citations-0-supports": ["title", "parties"],
            }
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    agreement = Agreement.objects.get()
    assert agreement.status == Status.DRAFT and agreement.last_edited_by == alice
    assert agreement.citations.get().quote_found
    assert agreement.organizations() == [state]
    assert "vietnam" in agreement.search_text


def test_impossible_date_is_a_form_error_and_nothing_is_saved(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("admin:curation_agreement_add"), agreement_form(date_signed="2025-02-30")
    )
    assert response.status_code == 200
    assert "2025-02-30" in response.context["adminform"].form.errors["date_signed"][0]
    assert not Agreement.objects.exists()


def test_editors_are_not_offered_actions_they_cannot_run_and_cannot_post_them(
    client, alice, eve, rita
):
    agreement = make_agreement(alice)
    client.force_login(eve)
    offered = client.get(CHANGELIST).context["action_form"].fields["action"].choices
    names = [name for name, _ in offered]
    assert "submit_for_review" in names
    assert not {"verify", "retract", "reopen"} & set(names)
    run_action(client, "verify", [agreement])  # posted anyway: the server refuses it
    agreement.refresh_from_db()
    assert agreement.status == Status.IN_REVIEW
    client.force_login(rita)
    offered = client.get(CHANGELIST).context["action_form"].fields["action"].choices
    assert {"verify", "retract", "reopen"} <= {name for name, _ in offered}


def test_reviewer_cannot_verify_their_own_edit(client, alice, rita):
    agreement = make_agreement(alice)
    client.force_login(rita)
    client.post(
        reverse("admin:curation_agreement_change", args=[agreement.pk]),
        agreement_form(
            title_en="Retitled by the reviewer",
            **{
                "party_links-TOTAL_FORMS": "0",
            },
        ),
    )
    response = run_action(client, "verify", [agreement])
    assert any("four eyes" in m for m in messages_of(response))
    assert Agreement.objects.get(pk=agreement.pk).status == Status.IN_REVIEW


def test_reviewer_verifies_and_the_count_is_reported(client, alice, rita):
    records = [make_agreement(alice), make_agreement(alice)]
    client.force_login(rita)
    response = run_action(client, "verify", records)
    assert "2 agreements verified." in messages_of(response)
    assert Agreement.objects.public().count() == 2


def test_editing_a_verified_record_in_the_admin_sends_it_to_review(client, alice, rita, eve):
    agreement = make_agreement(alice)
    client.force_login(rita)
    run_action(client, "verify", [agreement])
    client.force_login(eve)
    response = client.post(
        reverse("admin:curation_agreement_change", args=[agreement.pk]),
        agreement_form(title_en="Corrected title"),
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == Status.IN_REVIEW and agreement.last_edited_by == eve


def test_changing_only_a_citation_inline_sends_a_verified_record_to_review(
    client, alice, rita, eve
):
    agreement = make_agreement(alice)
    client.force_login(rita)
    run_action(client, "verify", [agreement])
    citation = agreement.citations.get()
    client.force_login(eve)
    form = agreement_with_inlines_form(
        agreement, **{"citations-0-quote": "A different quote", "citations-0-supports": ["title"]}
    )
    response = client.post(reverse("admin:curation_agreement_change", args=[agreement.pk]), form)
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == Status.IN_REVIEW and agreement.last_edited_by == eve
    assert not Citation.objects.get(pk=citation.pk).quote_found


def test_retract_asks_for_a_reason_then_keeps_it(client, alice, rita):
    agreement = make_agreement(alice)
    client.force_login(rita)
    page = run_action(client, "retract", [agreement])
    assert b"Retract" in page.content and agreement.reference.encode() in page.content
    response = run_action(client, "retract", [agreement], apply="1", reason="Duplicate of AGR-9")
    assert "1 agreement retracted." in messages_of(response)
    agreement.refresh_from_db()
    assert (
        agreement.status == Status.RETRACTED and agreement.retraction_reason == "Duplicate of AGR-9"
    )


def test_reverting_to_an_old_verified_version_does_not_verify(client, alice, rita, eve):
    agreement = make_agreement(alice)
    client.force_login(rita)
    run_action(client, "verify", [agreement])
    verified_version = Agreement.objects.get(pk=agreement.pk).history.latest()
    client.force_login(eve)
    client.post(
        reverse("admin:curation_agreement_change", args=[agreement.pk]),
        agreement_form(title_en="Changed"),
    )
    revert_url = reverse(
        "admin:curation_agreement_simple_history", args=[agreement.pk, verified_version.history_id]
    )
    response = client.post(revert_url, agreement_form(title_en=verified_version.title_en))
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.title_en == verified_version.title_en
    assert agreement.status == Status.IN_REVIEW


def test_deleting_a_source_that_records_cite_is_refused(client, alice):
    agreement = make_agreement(alice)
    source = agreement.citations.get().source
    client.force_login(alice)
    response = client.post(
        reverse("admin:curation_source_delete", args=[source.pk]), {"post": "yes"}
    )
    assert b"protected" in response.content or b"would require deleting" in response.content
    assert Source.objects.filter(pk=source.pk).exists()


def test_deleting_an_organization_that_is_a_party_is_refused(client, alice):
    agreement = make_agreement(alice)
    organization = agreement.organizations()[0]
    client.force_login(alice)
    url = reverse("admin:curation_organization_delete", args=[organization.pk])
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 200 and b"protected" in response.content
    assert Organization.objects.filter(pk=organization.pk).exists()


def test_editors_have_no_delete_for_records(client, alice):
    agreement = make_agreement(alice)
    client.force_login(alice)
    response = client.post(
        reverse("admin:curation_agreement_delete", args=[agreement.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Agreement.objects.filter(pk=agreement.pk).exists()


def test_citation_inline_shows_whether_the_quote_was_found(client, alice):
    agreement = make_agreement(alice)
    Citation.objects.create(agreement=agreement, source=make_source(), quote="Not in the text")
    client.force_login(alice)
    page = client.get(reverse("admin:curation_agreement_change", args=[agreement.pk]))
    assert b"quote-found" in page.content and b"NOT FOUND" in page.content


def test_editing_or_deleting_a_citation_on_its_own_page_sends_the_record_to_review(
    client, alice, rita, eve
):
    agreement = make_agreement(alice)
    client.force_login(rita)
    run_action(client, "verify", [agreement])
    citation = agreement.citations.get()
    client.force_login(eve)
    response = client.post(
        reverse("admin:curation_citation_change", args=[citation.pk]),
        {
            "source": citation.source_id,
            "agreement": agreement.pk,
            "quote": "Changed quote",
            "translation": "",
            "supports": '["title"]',
            "locator": "",
            "inference": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    agreement.refresh_from_db()
    assert agreement.status == Status.IN_REVIEW and agreement.last_edited_by == eve

    client.force_login(alice)
    Agreement.objects.filter(pk=agreement.pk).update(status=Status.VERIFIED)
    client.post(reverse("admin:curation_citation_delete", args=[citation.pk]), {"post": "yes"})
    agreement.refresh_from_db()
    assert not Citation.objects.filter(pk=citation.pk).exists()
    assert agreement.status == Status.IN_REVIEW and agreement.last_edited_by == alice


def test_a_date_typed_in_words_is_refused_whole_with_the_format(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("admin:curation_agreement_add"), agreement_form(date_signed="3 March 2024")
    )
    errors = response.context["adminform"].form.errors["date_signed"]
    assert "“3 March 2024” is not a date" in errors[0] and "YYYY-MM-DD" in errors[0]
    assert 'maxlength="10"' not in response.content.decode()


def test_who_edited_and_verified_is_a_name_not_a_link_to_the_user_admin(client, alice, rita):
    agreement = make_agreement(alice)
    client.force_login(rita)
    run_action(client, "verify", [agreement])
    page = client.get(reverse("admin:curation_agreement_change", args=[agreement.pk]))
    text = page.content.decode()
    assert "rita" in text and "/admin/auth/user/" not in text


def test_the_change_form_shows_status_and_coverage_and_submits_and_verifies(client, alice, rita):
    agreement = make_agreement(alice, status=Status.DRAFT)
    url = reverse("admin:curation_agreement_change", args=[agreement.pk])
    client.force_login(alice)
    page = client.get(url).content.decode()
    assert "Status: Draft" in page and "title ✓" in page
    assert 'name="_submit_for_review"' in page and 'name="_verify"' not in page
    response = client.post(url, agreement_with_inlines_form(agreement, _submit_for_review="1"))
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == Status.IN_REVIEW
    client.force_login(rita)
    page = client.get(url).content.decode()
    assert 'name="_verify"' in page and "waiting for a reviewer" in page
    response = client.post(url, agreement_with_inlines_form(agreement, _verify="1"), follow=True)
    agreement.refresh_from_db()
    assert agreement.status == Status.VERIFIED
    assert any("verified" in m for m in messages_of(response))
    page = client.get(url).content.decode()
    assert "on the public site" in page and 'name="_verify"' not in page


def test_the_verify_button_refuses_what_the_action_refuses(client, alice, rita):
    agreement = make_agreement(alice, covered=False)
    client.force_login(rita)
    url = reverse("admin:curation_agreement_change", args=[agreement.pk])
    form = agreement_form(title_en=agreement.title_en, _verify="1")
    response = client.post(url, form, follow=True)
    agreement.refresh_from_db()
    assert agreement.status == Status.IN_REVIEW
    assert any("Not verified" in m for m in messages_of(response))


def test_bulk_verify_writes_what_verifying_one_by_one_writes(client, alice, rita):
    """The action verifies set-based: each verified record still has its history entry
    ("Verified.", by the reviewer, its fields of cooperation kept), its "Recent actions"
    entry and a public page; a record the rules refuse is named and left as it was."""
    field = FieldOfCooperation.objects.create(name="Space", slug="space")
    records = [make_agreement(alice) for _ in range(3)]
    records[0].fields.add(field)
    refused = make_agreement(alice, covered=False)
    generation = Publication.current()
    client.force_login(rita)
    response = run_action(client, "verify", [*records, refused])
    assert "3 agreements verified." in messages_of(response)
    assert any(refused.reference in m and "lack a found quote" in m for m in messages_of(response))
    assert Agreement.objects.get(pk=refused.pk).status == Status.IN_REVIEW
    assert Publication.current() > generation
    for record in records:
        stored = Agreement.objects.get(pk=record.pk)
        assert stored.status == Status.VERIFIED and stored.verified_by == rita
        assert stored.version == record.version + 1
        latest = stored.history.first()
        assert (latest.history_change_reason, latest.history_user) == ("Verified.", rita)
        assert latest.status == Status.VERIFIED
        assert LogEntry.objects.filter(object_id=str(record.pk), change_message="Verified.")
        assert client.get(stored.get_absolute_url()).status_code == 200
    first = Agreement.objects.get(pk=records[0].pk).history.first()
    assert [f.fieldofcooperation_id for f in first.fields.all()] == [field.pk]
