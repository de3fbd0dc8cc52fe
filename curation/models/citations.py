from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from curation.models.versioning import Versioned
from curation.rules import StoredText
from curation.text import find_quote

# What a quote can support, per kind of record; the key fields come first.
AGREEMENT_SUPPORTS = {
    "title": _("title"),
    "date_signed": _("date signed"),
    "parties": _("parties"),
    "kind": _("kind"),
    "place": _("place"),
    "signed_by": _("signed by"),
    "fields": _("fields of cooperation"),
    "relations": _("related agreements"),
    "summary": _("summary"),
}
PROJECT_SUPPORTS = {
    "title": _("title"),
    "participants": _("participants"),
    "kind": _("kind"),
    "dates": _("start and end"),
    "location": _("location"),
    "budget": _("budget"),
    "agreements": _("agreements implemented"),
    "fields": _("fields of cooperation"),
    "summary": _("summary"),
}


class CitationQuerySet(models.QuerySet):
    def public(self) -> CitationQuerySet:
        """Citations of verified records: the evidence the public site shows."""
        from curation.models.records import Status

        return self.filter(
            models.Q(agreement__status=Status.VERIFIED) | models.Q(project__status=Status.VERIFIED)
        )


class Citation(StoredText, Versioned):
    """A source's exact words that support some fields of one agreement or project."""

    source = models.ForeignKey(
        "curation.Source", on_delete=models.PROTECT, related_name="citations"
    )
    agreement = models.ForeignKey(
        "curation.Agreement",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="citations",
    )
    project = models.ForeignKey(
        "curation.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="citations",
    )
    quote = models.TextField(help_text="Copied verbatim from the source, typos and all.")
    translation = models.TextField(
        "English translation", blank=True, help_text="Required when the source is not in English."
    )
    supports = models.JSONField(
        default=list, blank=True, help_text="The fields of the record this quote supports."
    )
    locator = models.CharField(
        "where in the source",
        max_length=255,
        blank=True,
        help_text="Paragraph, page or section, for a reader looking it up.",
    )
    is_inferred = models.BooleanField(
        "inferred",
        default=False,
        help_text="The value follows from the quote but is not stated in it.",
    )
    inference = models.TextField(blank=True, help_text="How the value was inferred.")
    quote_found = models.BooleanField(default=False, editable=False)
    quote_start = models.PositiveIntegerField(null=True, blank=True, editable=False)
    quote_end = models.PositiveIntegerField(null=True, blank=True, editable=False)
    history = HistoricalRecords()

    objects = CitationQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        permissions = [("import_citation", "Can import citations from spreadsheets")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(agreement__isnull=True) ^ models.Q(project__isnull=True),
                name="citation_cites_one_record",
            )
        ]

    def __str__(self) -> str:
        excerpt = self.quote if len(self.quote) <= 60 else self.quote[:57] + "…"
        return f"“{excerpt}”"

    def save(self, *args, **kwargs):
        self.locate_quote()
        super().save(*args, **kwargs)

    @property
    def record(self):
        return self.agreement or self.project

    def allowed_supports(self) -> dict[str, str]:
        return PROJECT_SUPPORTS if self.project_id or self.project else AGREEMENT_SUPPORTS

    def supported_labels(self) -> list[str]:
        labels = self.allowed_supports()
        return [str(labels.get(field, field)) for field in self.supports]

    @classmethod
    def inconsistencies(cls, value) -> dict[str, str]:
        problems = {}
        if value("is_inferred") and not value("inference").strip():
            problems["inference"] = "Say how the value was inferred."
        source = value("source")
        if source is not None and not source.is_english and not value("translation").strip():
            problems["translation"] = "The source is not in English: add an English translation."
        return problems

    def clean(self):
        unknown = set(self.supports) - set(self.allowed_supports())
        errors = {"supports": f"Unknown field(s): {', '.join(sorted(unknown))}."} if unknown else {}
        source = self.source if self.source_id else None
        errors |= self.inconsistencies(
            lambda name: source if name == "source" else getattr(self, name)
        )
        if errors:
            raise ValidationError(errors)

    def locate_quote(self) -> None:
        span = find_quote(self.source.captured_text, self.quote)
        self.quote_found = span is not None
        self.quote_start, self.quote_end = span or (None, None)
