"""Keep the search columns current when the names they copy change.

Derived data only: the curation rules themselves are in services.py.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from curation.models import (
    Agreement,
    AgreementParty,
    AgreementRelation,
    Citation,
    FieldOfCooperation,
    Organization,
    Project,
    ProjectParticipant,
    Publication,
    Source,
)

# Set by bulk writers (imports) that keep search text and the publication counter themselves.
bulk_writes: ContextVar[bool] = ContextVar("bulk_writes", default=False)

PUBLISHED_MODELS = [
    Agreement,
    Project,
    Citation,
    AgreementParty,
    ProjectParticipant,
    AgreementRelation,
    Organization,
    Source,
    FieldOfCooperation,
]


def refresh_search_text(records) -> None:
    records = list(records)
    for record in records:
        record.update_derived_fields()
    if records:
        type(records[0]).objects.bulk_update(records, ["search_text"])


def _record_link_changed(sender, instance, raw=False, **kwargs):
    if raw or bulk_writes.get():
        return
    if sender is AgreementParty:
        records = Agreement.objects.filter(pk=instance.agreement_id)
        links = "party_links__organization"
    else:
        records = Project.objects.filter(pk=instance.project_id)
        links = "participant_links__organization"
    refresh_search_text(records.prefetch_related(links))


def _organization_saved(sender, instance, raw=False, created=False, **kwargs):
    if raw or created or bulk_writes.get():
        return
    for predecessor in instance.predecessors.all():
        predecessor.save(update_fields=["lineage_country"])
    refresh_search_text(
        Agreement.objects.filter(party_links__organization=instance)
        .distinct()
        .prefetch_related("party_links__organization")
    )
    refresh_search_text(
        Project.objects.filter(participant_links__organization=instance)
        .distinct()
        .prefetch_related("participant_links__organization")
    )


def _skip_history_for_fixture_rows(sender, instance, raw=False, **kwargs):
    # loaddata brings its own history rows; simple-history would add another when loaddata
    # sets the many-to-many fields (its m2m_changed handler cannot see raw), with an id that
    # collides with the fixture's on PostgreSQL.
    if raw:
        instance.skip_history_when_saving = True


def _text_as_read(sender, instance, raw=False, **kwargs):
    """Text is stored as rules.as_stored() says, however it is saved: a textarea's \r\n would
    otherwise make an unchanged export look changed when it comes back."""
    if not raw:
        instance.normalise_text()


def _public_data_changed(sender, raw=False, **kwargs):
    if not raw and not bulk_writes.get():
        Publication.bump()


def connect() -> None:
    for model in PUBLISHED_MODELS:
        post_save.connect(_public_data_changed, sender=model)
        post_delete.connect(_public_data_changed, sender=model)
    for field in (Agreement.fields, Project.fields, Project.agreements):
        m2m_changed.connect(_public_data_changed, sender=field.through)
    for record in (Agreement, Project):
        pre_save.connect(_skip_history_for_fixture_rows, sender=record)
    for link in (AgreementParty, ProjectParticipant):
        post_save.connect(_record_link_changed, sender=link)
        post_delete.connect(_record_link_changed, sender=link)
    post_save.connect(_organization_saved, sender=Organization)
    for model in (Agreement, Project, Citation, Organization, Source, FieldOfCooperation):
        pre_save.connect(_text_as_read, sender=model)
