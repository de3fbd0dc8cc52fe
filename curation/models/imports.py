from __future__ import annotations

from django.conf import settings
from django.db import models


class ImportBatch(models.Model):
    """An uploaded sheet, kept in the database between its preview and its confirmation.

    Any server process can show the preview or apply it: nothing lives in one process's
    memory or temporary files. The row stays as the log of who imported what, and when.
    """

    class State(models.TextChoices):
        PREVIEWED = "previewed", "Previewed"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed"

    model_name = models.CharField(max_length=40)
    filename = models.CharField(max_length=255)
    encoding = models.CharField(max_length=16, default="auto")
    data = models.BinaryField()
    approved_organizations = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PREVIEWED)
    summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"{self.filename} ({self.model_name}, {self.get_state_display().lower()})"
