from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from curation.models.references import ReferencedModel
from curation.models.versioning import Versioned
from curation.rules import StoredText, check_country
from curation.text import fold_for_search


class OrganizationQuerySet(models.QuerySet):
    def in_countries(self, codes: list[str]) -> OrganizationQuerySet:
        """Organizations of these countries, including those of their predecessor states."""
        return self.filter(models.Q(country__in=codes) | models.Q(lineage_country__in=codes))


class Organization(StoredText, Versioned, ReferencedModel):
    REFERENCE_PREFIX = "ORG"

    class Kind(models.TextChoices):
        STATE = "state", _("State")
        GOVERNMENT = "government", _("Government")
        MINISTRY = "ministry", _("Ministry")
        AGENCY = "agency", _("Agency")
        COMPANY = "company", _("Company")
        RESEARCH_INSTITUTE = "research_institute", _("Research institute")
        UNIVERSITY = "university", _("University")
        FUND = "fund", _("Fund")
        INTERNATIONAL = "international_organization", _("International organization")
        OTHER = "other", _("Other")

    name = models.CharField("English name", max_length=255, unique=True)
    name_original = models.CharField(
        "name in its own language",
        max_length=255,
        blank=True,
        help_text="In its own script: Vietnamese with diacritics, Russian in Cyrillic.",
    )
    acronym = models.CharField(max_length=50, blank=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    country = models.CharField(
        max_length=2,
        blank=True,
        validators=[check_country],
        help_text="ISO 3166 alpha-2; former states keep theirs (SU, VD). "
        "Blank for international bodies.",
    )
    successor = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
        help_text="The state or body that continues this one (Soviet Union → Russia).",
    )
    lineage_country = models.CharField(
        max_length=2,
        blank=True,
        editable=False,
        help_text="Country of the last successor, so filters by country find former states.",
    )
    search_text = models.TextField(blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["search_text", "lineage_country"])

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [("import_organization", "Can import organizations from spreadsheets")]
        indexes = [models.Index(fields=["country"]), models.Index(fields=["lineage_country"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("curation:organization-detail", args=[self.reference])

    def final_successor(self) -> Organization:
        seen, current = {self.pk}, self
        while current.successor_id and current.successor_id not in seen:
            seen.add(current.successor_id)
            current = current.successor
        return current

    def update_derived_fields(self) -> None:
        names = [self.reference, self.name, self.name_original, self.acronym]
        self.search_text = fold_for_search(" ".join(names))
        self.lineage_country = self.final_successor().country if self.successor_id else ""

    def clean(self):
        if self.successor_id and (
            self.successor_id == self.pk or self.successor.final_successor().pk == self.pk
        ):
            raise ValidationError({"successor": "An organization cannot succeed itself."})
