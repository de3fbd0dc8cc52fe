from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from curation.models.references import ReferencedModel
from curation.models.versioning import Versioned
from curation.rules import StoredText, check_country, check_ror_id, check_wikidata_id
from curation.text import fold_for_search


class OrganizationQuerySet(models.QuerySet):
    def in_countries(self, codes: list[str]) -> OrganizationQuerySet:
        """Organizations of these countries, including those of their predecessor states."""
        return self.filter(models.Q(country__in=codes) | models.Q(lineage_country__in=codes))

    def public(self) -> OrganizationQuerySet:
        """Organizations a verified record names, with the states and bodies that succeeded
        them (so that every successor the public data names is in it too)."""
        from curation.models import Agreement, Project

        named = models.Q()
        for model in (Agreement, Project):
            links = model._meta.get_field(model.LINKS).related_model.objects
            public = links.filter(**{f"{model._meta.model_name}__in": model.objects.public()})
            named |= models.Q(pk__in=public.values("organization"))
        # Successions are few: follow them in memory, not with one IN list per named org.
        successors = dict(
            Organization.objects.filter(successor__isnull=False).values_list("pk", "successor")
        )
        named_with_successors = set(
            Organization.objects.filter(named, successor__isnull=False).values_list("pk", flat=True)
        )
        following = set()
        for pk in named_with_successors:
            while pk in successors and successors[pk] not in following:
                pk = successors[pk]
                following.add(pk)
        return self.filter(named | models.Q(pk__in=following))


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
    wikidata_id = models.CharField(
        "Wikidata ID",
        max_length=13,
        blank=True,
        validators=[check_wikidata_id],
        help_text="The organization's Wikidata item, e.g. Q881 for Vietnam.",
    )
    ror_id = models.CharField(
        "ROR ID",
        max_length=9,
        blank=True,
        validators=[check_ror_id],
        help_text="Research Organization Registry ID, e.g. 018mejw64 for the DFG.",
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
        constraints = [
            models.UniqueConstraint(
                fields=[name],
                condition=~models.Q(**{name: ""}),
                name=f"unique_{name}",
                violation_error_message=f"Another organization has this {label}.",
            )
            for name, label in [("wikidata_id", "Wikidata ID"), ("ror_id", "ROR ID")]
        ]

    def __str__(self) -> str:
        return self.label(self.name, self.acronym)

    @staticmethod
    def label(name: str, acronym: str) -> str:
        """How lists name an organization: "Ministry of Science and Technology (MOST)"."""
        return f"{name} ({acronym})" if acronym else name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("curation:organization-detail", args=[self.reference])

    def same_as(self) -> list[str]:
        """The organization's addresses in the registries it is listed in (schema.org sameAs)."""
        return self.addresses(self.wikidata_id, self.ror_id)

    @staticmethod
    def addresses(wikidata_id: str, ror_id: str) -> list[str]:
        return [
            *([f"https://www.wikidata.org/wiki/{wikidata_id}"] if wikidata_id else []),
            *([f"https://ror.org/{ror_id}"] if ror_id else []),
        ]

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
