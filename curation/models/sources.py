from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from curation.dates import PartialDateField
from curation.models.references import ReferencedModel
from curation.models.versioning import Versioned
from curation.rules import StoredText
from curation.text import fold_for_search, sha256_hex


class SourceQuerySet(models.QuerySet):
    def public(self) -> SourceQuerySet:
        """Sources that a verified record cites."""
        from curation.models.citations import Citation

        return self.filter(pk__in=Citation.objects.public().values("source"))


class Source(StoredText, Versioned, ReferencedModel):
    """A document that reports facts, with the text captured from it for checking quotes."""

    REFERENCE_PREFIX = "SRC"
    VERBATIM_FIELDS = ("captured_text",)  # the article as captured, spaces and all

    class Kind(models.TextChoices):
        NEWS = "news_article", _("News article")
        JOURNAL = "journal_article", _("Journal article")
        OFFICIAL = "official_document", _("Official document")
        PRESS_RELEASE = "press_release", _("Press release")
        TREATY_TEXT = "treaty_text", _("Treaty text")
        OTHER = "other", _("Other")

    title = models.CharField(max_length=500)
    publisher = models.CharField(max_length=255, blank=True)
    author = models.CharField(max_length=255, blank=True)
    url = models.URLField("URL", max_length=1000, blank=True)
    published_on = PartialDateField("publication date", blank=True)
    language = models.CharField(
        max_length=12, default="en", help_text="BCP 47 code of the text: en, vi, ru, fr, …"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.NEWS)
    captured_text = models.TextField(
        help_text="The full text as captured; every quote citing this source is checked against it."
    )
    text_sha256 = models.CharField("SHA-256 of the captured text", max_length=64, editable=False)
    captured_at = models.DateTimeField(default=timezone.now)
    notes = models.TextField(blank=True, help_text="How the source was found or dated.")
    search_text = models.TextField(blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["search_text"])

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        permissions = [("import_source", "Can import sources from spreadsheets")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @classmethod
    def from_db(cls, db, field_names, values):
        source = super().from_db(db, field_names, values)
        source._stored_sha256 = source.__dict__.get("text_sha256")
        return source

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("curation:source-detail", args=[self.reference])

    @property
    def link(self) -> str:
        """The URL when it is safe to link to (http or https only), else an empty string."""
        return self.url if self.url.lower().startswith(("http://", "https://")) else ""

    @property
    def is_english(self) -> bool:
        return self.language.lower().split("-")[0] == "en"

    def update_derived_fields(self) -> None:
        self.text_sha256 = sha256_hex(self.captured_text)
        self.search_text = fold_for_search(" ".join([self.reference, self.title, self.publisher]))

    def save(self, *args, **kwargs):
        text_changed = getattr(self, "_stored_sha256", None) != sha256_hex(self.captured_text)
        super().save(*args, **kwargs)
        if text_changed:
            self.recheck_citations()
        self._stored_sha256 = self.text_sha256

    def recheck_citations(self) -> None:
        """Locate every citing quote again in this source's captured text."""
        citations = list(self.citations.all())
        for citation in citations:
            citation.source = self
            citation.locate_quote()
        self.citations.model.objects.bulk_update(
            citations, ["quote_found", "quote_start", "quote_end"]
        )
