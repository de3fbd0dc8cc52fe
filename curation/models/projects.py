from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from curation.dates import PartialDate, PartialDateField
from curation.models.agreements import _UNTRACKED, UNINDEXED_HISTORY, UNINDEXED_LINK_HISTORY
from curation.models.records import Record
from curation.rules import AmountField, check_currency


class Project(Record):
    """What is done: a programme, facility or exchange, often under an agreement."""

    REFERENCE_PREFIX = "PRJ"
    LINKS = "participant_links"
    DATE_FIELD = "start"
    KEY_FIELDS = {"title": "title", "participants": "participants"}

    class Kind(models.TextChoices):
        JOINT_RESEARCH = "joint_research", _("Joint research programme")
        FACILITY = "facility", _("Facility")
        TECHNICAL_ASSISTANCE = "technical_assistance", _("Technical assistance")
        TRAINING = "training", _("Training")
        TECHNOLOGY_TRANSFER = "technology_transfer", _("Technology transfer")
        # Standing arrangements rather than one piece of work: committees, working groups,
        # regular meetings, funding schemes.
        MECHANISM = "cooperation_mechanism", _("Cooperation mechanism")
        PROGRAMME = "cooperation_programme", _("Cooperation programme")
        OTHER = "other", _("Other")

    kind = models.CharField(max_length=32, choices=Kind.choices)
    start = PartialDateField(blank=True)
    end = PartialDateField(blank=True)
    location = models.CharField(max_length=255, blank=True)
    budget_amount = AmountField(max_digits=18, decimal_places=2, null=True, blank=True)
    budget_currency = models.CharField(
        max_length=3,
        blank=True,
        validators=[check_currency],
        help_text="ISO 4217: USD, EUR, VND, …",
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
            models.Index(fields=["status", "verified_at"]),
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

    @classmethod
    def inconsistencies(cls, value) -> dict[str, str]:
        problems = {}
        if value("budget_amount") is not None and not value("budget_currency"):
            problems["budget_currency"] = "A budget needs its currency."
        try:
            start, end = (
                PartialDate.parse(value(name)) if value(name) else None for name in ("start", "end")
            )
        except ValueError:  # an unreadable date is reported by its own field
            return problems
        if start and end and end.latest() < start.earliest():
            problems["end"] = "The project cannot end before it starts."
        return problems

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
        FUNDER = "funder", _("Funder")
        INVESTOR = "investor", _("Investor")
        IMPLEMENTER = "implementer", _("Implementer")
        PARTNER = "partner", _("Partner")

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
