from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from curation.dates import PartialDateField
from curation.models.records import Record

# Record's own bookkeeping is not content: history keeps the rest.
_UNTRACKED = ["search_text", "search_title", "updated_at"]
# History is read record by record (by id): indexes on these columns of the history tables
# were never used and slowed every write, bulk imports most of all.
UNINDEXED_HISTORY = ["reference", "last_edited_by", "verified_by"]
UNINDEXED_LINK_HISTORY = ["agreement", "project", "organization"]


class Agreement(Record):
    """What was signed."""

    REFERENCE_PREFIX = "AGR"
    LINKS = "party_links"
    DATE_FIELD = "date_signed"
    KEY_FIELDS = {"title": "title", "date_signed": "date signed", "parties": "parties"}

    class Kind(models.TextChoices):
        TREATY = "treaty", _("Treaty")
        INTERGOVERNMENTAL = "intergovernmental_agreement", _("Intergovernmental agreement")
        MOU = "memorandum_of_understanding", _("Memorandum of understanding")
        STRATEGIC_PARTNERSHIP = "strategic_partnership", _("Strategic partnership")
        COOPERATION_AGREEMENT = "cooperation_agreement", _("Cooperation agreement")
        ACTION_PLAN = "action_plan", _("Action plan")
        CONTRACT = "contract", _("Contract")
        # A source may report several agreements only together ("signed 12 agreements"):
        # one record stands for the group, and its title says how many.
        GROUP = "group_of_agreements", _("Group of agreements")
        OTHER = "other", _("Other")

    kind = models.CharField(max_length=40, choices=Kind.choices)
    date_signed = PartialDateField(blank=True)
    place = models.CharField(max_length=255, blank=True)
    signed_by = models.TextField(
        "signed by", blank=True, help_text="The people who signed, one per line, with their office."
    )
    parties = models.ManyToManyField(
        "curation.Organization", through="AgreementParty", related_name="agreements"
    )
    history = HistoricalRecords(
        excluded_fields=_UNTRACKED, m2m_fields=["fields"], no_db_index=UNINDEXED_HISTORY
    )

    class Meta:
        ordering = ["-date_signed", "reference"]
        indexes = [
            models.Index(fields=["status", "date_signed"]),
            models.Index(fields=["status", "kind"]),
            models.Index(fields=["status", "verified_at"]),
        ]
        permissions = [
            ("verify_agreement", "Can verify agreement"),
            ("retract_agreement", "Can retract agreement"),
            ("import_agreement", "Can import agreements from spreadsheets"),
        ]

    def organizations(self):
        return [party.organization for party in self.party_links.all()]

    def key_field_has_value(self, field: str) -> bool:
        if field == "title":
            return bool(self.title_en)
        if field == "parties":
            return bool(self.party_links.all())
        return super().key_field_has_value(field)


class AgreementParty(models.Model):
    class Role(models.TextChoices):
        SIGNATORY = "signatory", _("Signatory")
        WITNESS = "witness", _("Witness")
        IMPLEMENTING_BODY = "implementing_body", _("Implementing body")

    # No index of their own: unique_party_role leads with agreement, and the index in Meta
    # with organization.
    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="party_links", db_index=False
    )
    organization = models.ForeignKey(
        "curation.Organization",
        on_delete=models.PROTECT,
        related_name="agreement_links",
        db_index=False,
    )
    role = models.CharField(max_length=24, choices=Role.choices, default=Role.SIGNATORY)
    history = HistoricalRecords(no_db_index=UNINDEXED_LINK_HISTORY)

    class Meta:
        verbose_name = "party"
        verbose_name_plural = "parties"
        # Country facets and filters go from organizations to agreements.
        indexes = [models.Index(fields=["organization", "agreement"])]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "organization", "role"], name="unique_party_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_role_display().lower()})"


class AgreementRelation(models.Model):
    """How one agreement stands to another: it implements, amends, supersedes or frames it."""

    class Kind(models.TextChoices):
        IMPLEMENTS = "implements", _("implements")
        AMENDS = "amends", _("amends")
        SUPERSEDES = "supersedes", _("supersedes")
        FRAMEWORK_FOR = "framework_for", _("is the framework for")

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="relations")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    other = models.ForeignKey(
        Agreement,
        on_delete=models.PROTECT,
        related_name="incoming_relations",
        verbose_name="other agreement",
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agreement", "kind", "other"], name="unique_relation"),
            models.CheckConstraint(
                condition=~models.Q(agreement=models.F("other")), name="relation_not_to_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement.reference} {self.get_kind_display()} {self.other.reference}"
