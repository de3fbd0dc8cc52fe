from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class ImportBatch(models.Model):
    """An uploaded sheet, kept in the database between its preview and its confirmation
    (the admin's temporary storage: curation.spreadsheets.storage).

    Any server process can show the preview or apply it: nothing lives in one process's
    memory or temporary files. Once applied or failed, or left unconfirmed for
    IMPORT_KEEP_DAYS, the file is discarded; the row stays as the log of who imported what.
    The upload is claimed by the first user who previews it; nobody else can open it.
    """

    class State(models.TextChoices):
        PREVIEWED = "previewed", "Previewed"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed"

    model_name = models.CharField(max_length=40)
    filename = models.CharField(max_length=255)
    encoding = models.CharField(max_length=16, default="auto")
    data = models.BinaryField()
    # The preview's plan, signed (see importing.keep), and the publication generation it was
    # checked at: confirm applies it as is while nothing has been saved since.
    checked_plan = models.BinaryField(default=b"", editable=False)
    checked_at_generation = models.PositiveBigIntegerField(null=True, editable=False)
    # Unknown organizations the editor ticked for creation: name -> {"kind": …, "country": …}
    approved_organizations = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PREVIEWED)
    summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"{self.filename} ({self.model_name}, {self.get_state_display().lower()})"

    def claim(self, user, filename: str) -> None:
        """The upload is previewed by user: from now on it is theirs alone."""
        self._set(created_by=user, filename=filename[:255])

    def mark_applied(self, counts: dict) -> None:
        self._finish(self.State.APPLIED, dict(counts), applied_at=timezone.now())

    def mark_failed(self, message: str) -> None:
        self._finish(self.State.FAILED, {"error": message})

    def approve_organizations(self, chosen: dict[str, dict]) -> None:
        """New organizations the editor agreed to create (name -> kind and country); the
        sheet must be checked again."""
        self._set(approved_organizations={**self.approved, **chosen}, checked_plan=b"")

    @property
    def approved(self) -> dict[str, dict]:
        if isinstance(self.approved_organizations, list):  # kept by an earlier version
            return {name: {} for name in self.approved_organizations}
        return self.approved_organizations

    def approved_names(self) -> set[str]:
        return set(self.approved)

    def keep_checked_plan(self, plan: bytes, generation: int) -> None:
        self._set(checked_plan=plan, checked_at_generation=generation)

    def _finish(self, state: str, summary: dict, **values) -> None:
        self._set(state=state, summary=summary, data=b"", checked_plan=b"", **values)

    def _set(self, **values) -> None:
        ImportBatch.objects.filter(pk=self.pk).update(**values)
        for name, value in values.items():
            setattr(self, name, value)

    @classmethod
    def discard_unconfirmed(cls) -> int:
        """Files previewed and not confirmed within IMPORT_KEEP_DAYS are discarded (as failed)."""
        days = settings.IMPORT_KEEP_DAYS
        return cls.objects.filter(
            state=cls.State.PREVIEWED, created_at__lt=timezone.now() - timedelta(days=days)
        ).update(
            state=cls.State.FAILED,
            data=b"",
            checked_plan=b"",
            summary={"error": f"Not confirmed within {days} days; the file was discarded."},
        )
