"""The writes that carry curation rules: editing, review, verification, retraction.

The admin, the importers, the seed builder and the tests all call these, so each rule
(four eyes, coverage before verification, review after an edit) lives here once.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from curation import facets
from curation.models import Record, Status


class WorkflowRefused(Exception):
    """A workflow step that the rules do not allow, with a reason a curator can act on."""

    def __init__(self, record: Record, reason: str):
        self.record = record
        self.reason = reason
        super().__init__(f"{record.reference} “{record.title_en}”: {reason}")


def _permission(record: Record, action: str) -> str:
    return f"curation.{action}_{record._meta.model_name}"


def _save_with_reason(record: Record, reason: str, by, fields: list[str] | None = None) -> None:
    record._change_reason = reason
    record._history_user = by
    record.save(update_fields=fields)


# Set only by the workflow steps below, never by an edit (nor by reverting to an old version).
WORKFLOW_FIELDS = {
    "id",
    "reference",
    "status",
    "retraction_reason",
    "verified_by",
    "verified_at",
    "last_edited_by",
    "created_at",
    "updated_at",
    "search_text",
    "search_title",
    "version",
}


def _content_fields(record: Record) -> list[str]:
    skip = WORKFLOW_FIELDS | record.NON_CONTENT_FIELDS
    return [field.attname for field in record._meta.concrete_fields if field.name not in skip]


def save_record(record: Record, *, by, changed_fields=()) -> None:
    """Save an editor's change; a change to content sends a verified record back to review.

    changed_fields names what a form changed beyond the record's own columns (its fields
    of cooperation, say); the columns are compared with the stored record.
    """
    with transaction.atomic():
        content_changed = bool(set(changed_fields) - record.NON_CONTENT_FIELDS)
        if record._state.adding:
            content_changed = True
        else:
            stored = type(record).objects.select_for_update().get(pk=record.pk)
            for name in WORKFLOW_FIELDS:
                field = record._meta.get_field(name)
                setattr(record, field.attname, getattr(stored, field.attname))
            content_changed |= any(
                getattr(record, name) != getattr(stored, name) for name in _content_fields(record)
            )
        reason = ""
        if content_changed:
            record.last_edited_by = by
            if record.status == Status.VERIFIED:
                record.status = Status.IN_REVIEW
                reason = "Content changed after verification: back in review."
        _save_with_reason(record, reason, by)


def record_related_edit(record: Record, *, by) -> None:
    """A party, participant, relation or citation of record changed: the same rule applies."""
    record.refresh_from_db()
    if record.last_edited_by_id == by.pk and record.status != Status.VERIFIED:
        return
    record.last_edited_by = by
    reason = ""
    if record.status == Status.VERIFIED:
        record.status = Status.IN_REVIEW
        reason = "Linked data changed after verification: back in review."
    _save_with_reason(record, reason, by, ["last_edited_by", "status"])


def submit_for_review(record: Record, *, by) -> None:
    if record.status != Status.DRAFT:
        raise WorkflowRefused(record, f"it is {record.get_status_display().lower()}, not a draft.")
    record.status = Status.IN_REVIEW
    _save_with_reason(record, "Submitted for review.", by, ["status"])


def verification_problems(record: Record, *, by) -> list[str]:
    """Why by may not verify record now; empty when verification is allowed."""
    if not by.has_perm(_permission(record, "verify")):
        return ["you do not have permission to verify records."]
    if record.status == Status.VERIFIED:
        return ["it is already verified."]
    if record.status != Status.IN_REVIEW:
        return [
            f"it is {record.get_status_display().lower()}; only records in review are verified."
        ]
    problems = []
    if record.last_edited_by_id == by.pk:
        problems.append("you edited it last; another reviewer must verify it (four eyes).")
    uncovered = record.uncovered_fields()
    if uncovered:
        listing = ", ".join(f"{item.label} ({item.state})" for item in uncovered)
        problems.append(f"these key fields lack a found quote: {listing}.")
    unfound = record.unfound_citations()
    if unfound:
        listing = ", ".join(f"{c} ({c.source.reference})" for c in unfound)
        problems.append(
            f"these quotes are not found in their source, so they are not evidence: {listing}. "
            "Correct each quote to the source's exact words, or delete the citation."
        )
    return problems


def verify_record(record: Record, *, by) -> None:
    with transaction.atomic():
        record = type(record).objects.select_for_update().get(pk=record.pk)
        problems = verification_problems(record, by=by)
        if problems:
            raise WorkflowRefused(record, " ".join(problems))
        record.status = Status.VERIFIED
        record.verified_by = by
        record.verified_at = timezone.now()
        with facets.carried_over(type(record), [record.pk]):
            _save_with_reason(record, "Verified.", by, ["status", "verified_by", "verified_at"])


def verify_records(queryset, *, by) -> tuple[list, list[WorkflowRefused]]:
    """verify_record() for many records at once, set-based: the records, their citations and
    links read in a few queries and checked as verify_record() checks one, and those allowed
    written with their history in bulk, in one transaction. Returns the records verified and
    the refusals (a refused record is skipped)."""
    from curation.models import Citation, Publication
    from curation.signals import bulk_writes
    from curation.spreadsheets.fastwrite import insert_m2m_history, update_with_history

    model = queryset.model
    citations = Citation.objects.select_related("source").defer(
        "source__captured_text", "source__search_text"
    )
    done, refusals = [], []
    token = bulk_writes.set(True)
    try:
        with transaction.atomic():
            chosen = model.objects.filter(pk__in=queryset.values("pk")).order_by("reference")
            records = chosen.select_for_update().prefetch_related(
                Prefetch("citations", queryset=citations), model.LINKS
            )
            for record in records:
                if problems := verification_problems(record, by=by):
                    refusals.append(WorkflowRefused(record, " ".join(problems)))
                else:
                    done.append(record)
            now = timezone.now()
            for record in done:
                record.status, record.verified_by, record.verified_at = Status.VERIFIED, by, now
                record.version += 1
            if done:
                fields = ["status", "verified_by", "verified_at", "version"]
                with facets.carried_over(model, [record.pk for record in done]):
                    update_with_history(model, done, fields, by=by, reason="Verified.", when=now)
                    insert_m2m_history(model, [record.pk for record in done], since=now)
                    Publication.bump()
    finally:
        bulk_writes.reset(token)
    return done, refusals


def apply_to_each(records, step, *, by, **arguments) -> tuple[list, list[WorkflowRefused]]:
    """Run a workflow step on many records as one transaction: an interrupted batch (a crash,
    a killed process) leaves none of them changed. A refused record is skipped and reported.
    Returns the records done and the refusals."""
    records, done, refusals = list(records), [], []
    model = type(records[0]) if records else None
    with transaction.atomic(), facets.carried_over(model, [record.pk for record in records]):
        for record in records:
            try:
                with transaction.atomic():
                    step(record, by=by, **arguments)
                done.append(record)
            except WorkflowRefused as refusal:
                refusals.append(refusal)
    return done, refusals


def retract_record(record: Record, *, by, reason: str) -> None:
    """Withdraw a record from the public, keeping it and saying why."""
    if not by.has_perm(_permission(record, "retract")):
        raise WorkflowRefused(record, "you do not have permission to retract records.")
    if not reason.strip():
        raise WorkflowRefused(record, "a retraction needs a reason.")
    if record.status == Status.RETRACTED:
        raise WorkflowRefused(record, "it is already retracted.")
    record.status = Status.RETRACTED
    record.retraction_reason = reason.strip()
    with transaction.atomic(), facets.carried_over(type(record), [record.pk]):
        _save_with_reason(
            record, f"Retracted: {reason.strip()}", by, ["status", "retraction_reason"]
        )


def reopen_record(record: Record, *, by) -> None:
    """Put a retracted record back in review, so it can be corrected and verified again."""
    if not by.has_perm(_permission(record, "retract")):
        raise WorkflowRefused(record, "you do not have permission to reopen retracted records.")
    if record.status != Status.RETRACTED:
        raise WorkflowRefused(record, "only retracted records are reopened.")
    record.status = Status.IN_REVIEW
    _save_with_reason(record, "Reopened for review.", by, ["status"])
