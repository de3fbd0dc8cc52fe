from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

from curation.dates import PartialDate, PartialDateField
from curation.models.agreements import _UNTRACKED, UNINDEXED_HISTORY, UNINDEXED_LINK_HISTORY
from curation.models.records import Record

currency_code = RegexValidator(r"^[A-Z]{3}$", "Use an ISO 4217 code in capitals, e.g. USD.")


class Project(Record):
    """What is done: a programme, facility or exchange, often under an agreement."""

    REFERENCE_PREFIX = "PRJ"
    LINKS = "participant_links"
    DATE_FIELD = "start"
    KEY_FIELDS = {"title": "title", "participants": "participants"}

    class Kind(models.TextChoices):
        JOINT_RESEARCH = "joint_research", "Joint research programme"
        FACILITY = "facility", "Facility"
        TECHNICAL_ASSISTANCE = "technical_assistance", "Technical assistance"
        TRAINING = "training", "Training"
        TECHNOLOGY_TRANSFER = "technology_transfer", "Technology transfer"
        OTHER = "other", "Other"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    start = PartialDateField(blank=True)
    end = PartialDateField(blank=True)
    location = models.CharField(max_length=255, blank=True)
    budget_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    budget_currency = models.CharField(
        max_length=3, blank=True, validators=[currency_code], help_text="ISO 4217: USD, EUR, VND, …"
    )
    participants = models.ManyToManyField(
        "curation.Organization", through="ProjectParticipant", related_name="projects"
    )
    agreements = models.ManyToManyField(
        "curation.Agreement",
        blank=True,
        related_name="projects",
        verbose_name="implements agreements",
    )
    history = HistoricalRecords(
        excluded_fields=_UNTRACKED,
        m2m_fields=["fields", "agreements"],
        no_db_index=UNINDEXED_HISTORY,
    )

    class Meta:
        ordering = ["-start", "reference"]
        indexes = [
            models.Index(fields=["status", "start"]),
            models.Index(fields=["status", "kind"]),
        ]
        permissions = [
            ("verify_project", "Can verify project"),
            ("retract_project", "Can retract project"),
            ("import_project", "Can import projects from spreadsheets"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(budget_amount__isnull=True) | ~models.Q(budget_currency=""),
                name="budget_has_currency",
            )
        ]

    def clean(self):
        if self.budget_amount is not None and not self.budget_currency:
            raise ValidationError({"budget_currency": "A budget needs its currency."})
        if self.start and self.end:
            if PartialDate.parse(self.end).latest() < PartialDate.parse(self.start).earliest():
                raise ValidationError({"end": "The project cannot end before it starts."})

    def organizations(self):
        return [link.organization for link in self.participant_links.all()]

    def key_field_has_value(self, field: str) -> bool:
        if field == "title":
            return bool(self.title_en)
        if field == "participants":
            return bool(self.participant_links.all())
        return super().key_field_has_value(field)


class ProjectParticipant(models.Model):
    class Role(models.TextChoices):
        FUNDER = "funder", "Funder"
        INVESTOR = "investor", "Investor"
        IMPLEMENTER = "implementer", "Implementer"
        PARTNER = "partner", "Partner"

    # No index of their own: unique_participant_role leads with project, and the index in
    # Meta with organization.
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="participant_links", db_index=False
    )
    organization = models.ForeignKey(
        "curation.Organization",
        on_delete=models.PROTECT,
        related_name="project_links",
        db_index=False,
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PARTNER)
    history = HistoricalRecords(no_db_index=UNINDEXED_LINK_HISTORY)

    class Meta:
        verbose_name = "participant"
        indexes = [models.Index(fields=["organization", "project"])]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "organization", "role"], name="unique_participant_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_role_display().lower()})"
