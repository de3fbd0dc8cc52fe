from __future__ import annotations

from django.db import models, transaction


class ReferenceSequence(models.Model):
    """The last number handed out for each reference prefix, so a reference is never reused.

    Database ids cannot serve: SQLite hands a deleted row's id to the next insert.
    """

    prefix = models.CharField(max_length=8, primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last_number}"


def format_reference(prefix: str, number: int) -> str:
    return f"{prefix}-{number:04d}"


def reference_number(reference: str) -> int:
    return int(reference.rsplit("-", 1)[1])


def allocate_references(model: type[models.Model], count: int = 1) -> list[str]:
    """Reserve count new references for model, above every one handed out or stored so far."""
    prefix = model.REFERENCE_PREFIX
    with transaction.atomic():
        sequence, _ = ReferenceSequence.objects.select_for_update().get_or_create(prefix=prefix)
        highest_stored = (
            model.objects.filter(reference__startswith=f"{prefix}-")
            .order_by("-reference")
            .values_list("reference", flat=True)
            .first()
        )
        start = max(sequence.last_number, reference_number(highest_stored) if highest_stored else 0)
        sequence.last_number = start + count
        sequence.save(update_fields=["last_number"])
    return [format_reference(prefix, number) for number in range(start + 1, start + count + 1)]


class ReferencedModel(models.Model):
    """A record with a stable public reference such as AGR-0001, given on first save."""

    REFERENCE_PREFIX = ""
    reference = models.CharField(max_length=20, unique=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self.reference:
            (self.reference,) = allocate_references(type(self))
        self.update_derived_fields()
        super().save(*args, **kwargs)

    def update_derived_fields(self) -> None:
        """Recompute the columns kept for search and filtering; called on every save."""
