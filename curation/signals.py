"""Keep the search columns current when the names they copy change, and count writes
(Publication): those the public can see flush the public page cache, the others do not.

Derived data only: the curation rules themselves are in services.py.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.db.models import Q
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
    Status,
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


def _is_verified(model, pks) -> bool:
    pks = [pk for pk in pks if pk is not None]
    return bool(pks) and model._base_manager.filter(pk__in=pks, status=Status.VERIFIED).exists()


def seen_by_public(instance) -> bool:
    """Can a change to instance change what the public sees? Organizations (each has a public
    page) and the vocabulary (the filters list it) always; a record when it is or was
    verified; a record's links, citations and sources when a verified record shows them."""
    if isinstance(instance, Agreement | Project):
        return instance.status == Status.VERIFIED or getattr(instance, "_was_public", True)
    if isinstance(instance, AgreementParty):
        return _is_verified(Agreement, [instance.agreement_id])
    if isinstance(instance, ProjectParticipant):
        return _is_verified(Project, [instance.project_id])
    if isinstance(instance, AgreementRelation):
        return _is_verified(Agreement, [instance.agreement_id, instance.other_id])
    if isinstance(instance, Citation):
        return _is_verified(Agreement, [instance.agreement_id]) or _is_verified(
            Project, [instance.project_id]
        )
    if isinstance(instance, Source):
        return any_shown_publicly(instance.citations.all())
    return True


def any_shown_publicly(citations) -> bool:
    """Does a verified record show any of these citations? One query, however many."""
    return citations.filter(
        Q(agreement__status=Status.VERIFIED) | Q(project__status=Status.VERIFIED)
    ).exists()


def _remember_if_public(sender, instance, raw=False, **kwargs):
    """Before a record is saved: was it public? Its save then flushes the public pages."""
    if not raw:
        stored = not instance._state.adding and _is_verified(sender, [instance.pk])
        instance._was_public = stored


def _saved(sender, instance, raw=False, **kwargs):
    if not raw and not bulk_writes.get():
        Publication.bump(public=seen_by_public(instance))


def _deleted(sender, instance, **kwargs):
    if not bulk_writes.get():
        if isinstance(instance, Agreement | Project):
            Publication.bump(public=instance.status == Status.VERIFIED)
        else:
            Publication.bump(public=seen_by_public(instance))


def _list_changed(sender, instance, action, model, pk_set, **kwargs):
    """Fields of cooperation, or the agreements a project implements, added or removed."""
    if not action.startswith("post_") or bulk_writes.get():
        return
    public = isinstance(instance, Agreement | Project) and instance.status == Status.VERIFIED
    if not public and model in (Agreement, Project):
        public = pk_set is None or _is_verified(model, pk_set)
    Publication.bump(public=public)


def connect() -> None:
    for model in PUBLISHED_MODELS:
        post_save.connect(_saved, sender=model)
        post_delete.connect(_deleted, sender=model)
    for record in (Agreement, Project):
        pre_save.connect(_remember_if_public, sender=record)
    for field in (Agreement.fields, Project.fields, Project.agreements):
        m2m_changed.connect(_list_changed, sender=field.through)
    for record in (Agreement, Project):
        pre_save.connect(_skip_history_for_fixture_rows, sender=record)
    for link in (AgreementParty, ProjectParticipant):
        post_save.connect(_record_link_changed, sender=link)
        post_delete.connect(_record_link_changed, sender=link)
    post_save.connect(_organization_saved, sender=Organization)
    for model in (Agreement, Project, Citation, Organization, Source, FieldOfCooperation):
        pre_save.connect(_text_as_read, sender=model)
