"""The curation rules, through the services every entry point calls."""

import pytest

from curation import services
from curation.models import Agreement, Citation, Status
from tests.conftest import make_agreement, make_project, make_source


def test_reviewer_verifies_a_covered_record_edited_by_someone_else(alice, rita):
    agreement = make_agreement(alice)
    services.verify_record(agreement, by=rita)
    agreement.refresh_from_db()
    assert agreement.status == Status.VERIFIED
    assert agreement.verified_by == rita and agreement.verified_at is not None


def test_editor_cannot_verify(alice, eve):
    agreement = make_agreement(alice)
    with pytest.raises(services.WorkflowRefused, match="permission to verify"):
        services.verify_record(agreement, by=eve)
    agreement.refresh_from_db()
    assert agreement.status == Status.IN_REVIEW


def test_reviewer_cannot_verify_their_own_edit(rita):
    agreement = make_agreement(rita)
    with pytest.raises(services.WorkflowRefused, match="four eyes") as refusal:
        services.verify_record(agreement, by=rita)
    assert agreement.reference in str(refusal.value)


def test_record_without_found_quotes_for_key_fields_cannot_be_verified(alice, rita):
    agreement = make_agreement(alice, covered=False)
    Citation.objects.create(
        agreement=agreement,
        source=make_source("The ministers met."),
        quote="The ministers signed a treaty.",
        supports=["title", "date_signed", "parties"],
    )
    with pytest.raises(services.WorkflowRefused) as refusal:
        services.verify_record(agreement, by=rita)
    assert "title (unsupported)" in refusal.value.reason
    assert "parties (unsupported)" in refusal.value.reason


def test_key_field_without_a_value_blocks_verification(alice, rita):
    agreement = make_agreement(alice, date_signed="")
    with pytest.raises(services.WorkflowRefused, match=r"date signed \(missing\)"):
        services.verify_record(agreement, by=rita)


def test_drafts_are_submitted_before_they_are_verified(alice, rita):
    agreement = make_agreement(alice, status=Status.DRAFT)
    with pytest.raises(services.WorkflowRefused, match="draft"):
        services.verify_record(agreement, by=rita)
    services.submit_for_review(agreement, by=alice)
    services.verify_record(agreement, by=rita)
    assert Agreement.objects.get(pk=agreement.pk).status == Status.VERIFIED


def test_editing_content_of_a_verified_record_sends_it_back_to_review(alice, rita, eve):
    agreement = make_agreement(alice)
    services.verify_record(agreement, by=rita)
    agreement.refresh_from_db()
    agreement.title_en = "A corrected title"
    services.save_record(agreement, by=eve)
    agreement.refresh_from_db()
    assert agreement.status == Status.IN_REVIEW
    assert agreement.last_edited_by == eve


def test_internal_notes_are_not_content(alice, rita):
    agreement = make_agreement(alice)
    services.verify_record(agreement, by=rita)
    agreement.refresh_from_db()
    agreement.internal_notes = "Check the Russian text too."
    services.save_record(agreement, by=alice)
    agreement.refresh_from_db()
    assert agreement.status == Status.VERIFIED


def test_an_edit_cannot_set_the_status_itself(alice):
    agreement = make_agreement(alice)
    agreement.status = Status.VERIFIED
    services.save_record(agreement, by=alice)
    agreement.refresh_from_db()
    assert agreement.status == Status.IN_REVIEW


def test_changing_a_citation_of_a_verified_record_sends_it_back(alice, rita, eve):
    project = make_project(alice)
    services.verify_record(project, by=rita)
    services.record_related_edit(project, by=eve)
    project.refresh_from_db()
    assert project.status == Status.IN_REVIEW and project.last_edited_by == eve


def test_retraction_keeps_the_record_and_its_reason(alice, rita):
    agreement = make_agreement(alice)
    services.verify_record(agreement, by=rita)
    services.retract_record(agreement, by=rita, reason="The source confused two agreements.")
    agreement.refresh_from_db()
    assert agreement.status == Status.RETRACTED
    assert agreement.retraction_reason == "The source confused two agreements."
    assert not Agreement.objects.public().filter(pk=agreement.pk).exists()


def test_retraction_needs_permission_and_a_reason(alice, rita):
    agreement = make_agreement(alice)
    with pytest.raises(services.WorkflowRefused, match="permission"):
        services.retract_record(agreement, by=alice, reason="x")
    with pytest.raises(services.WorkflowRefused, match="reason"):
        services.retract_record(agreement, by=rita, reason="  ")


def test_a_retracted_record_is_reopened_before_it_is_verified_again(alice, rita, ravi):
    agreement = make_agreement(alice)
    services.retract_record(agreement, by=rita, reason="Duplicate")
    with pytest.raises(services.WorkflowRefused, match="retracted"):
        services.verify_record(agreement, by=ravi)
    services.reopen_record(agreement, by=rita)
    services.verify_record(agreement, by=ravi)
    assert Agreement.objects.get(pk=agreement.pk).status == Status.VERIFIED


def test_every_change_is_kept_with_who_made_it(alice, rita):
    agreement = make_agreement(alice)
    services.verify_record(agreement, by=rita)
    agreement.refresh_from_db()
    latest = agreement.history.latest()
    assert latest.history_user == rita and latest.status == Status.VERIFIED
    assert latest.history_change_reason == "Verified."
    changes = latest.diff_against(latest.prev_record).changed_fields
    assert "status" in changes
