"""What agreements and projects share: status, review, provenance coverage, search."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import connections, models
from django.db.models import Case, Count, F, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from curation.models.references import ReferencedModel
from curation.models.versioning import Versioned
from curation.rules import StoredText
from curation.text import fold_for_search, search_words


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    VERIFIED = "verified", _("Verified")
    RETRACTED = "retracted", _("Retracted")


# The records outside the text indexes (migration 0016), named one by one so that the
# indexes on status find them.
UNINDEXED = [status for status in Status if status != Status.VERIFIED]


def _effective_country(prefix: str = ""):
    """An organization's country, or for a former state its successor's (SU counts as RU)."""
    return Case(
        When(**{f"{prefix}lineage_country": ""}, then=F(f"{prefix}country")),
        default=F(f"{prefix}lineage_country"),
    )


def years_between(field: str, first: int | None, last: int | None) -> models.Q:
    """Dates (or years) in field within [first, last]; an empty date is in no range."""
    condition = models.Q()
    if first is not None:
        condition &= models.Q(**{f"{field}__gte": f"{first:04d}"})
    if last is not None:
        condition &= models.Q(**{f"{field}__gt": ""})
        if last < 9999:  # every date is before 10000, which is not a date the field reads
            condition &= models.Q(**{f"{field}__lt": f"{last + 1:04d}"})
    return condition


class RecordQuerySet(models.QuerySet):
    def public(self) -> RecordQuerySet:
        """The records the public may see: verified ones, and nothing else."""
        return self.filter(status=Status.VERIFIED)

    def involving(self, organizations: models.QuerySet) -> RecordQuerySet:
        """Records with any of organizations among their parties or participants."""
        # IN (subquery) rather than a correlated EXISTS: SQLite runs it several times faster.
        link = self.model._meta.get_field(self.model.LINKS)
        linked = link.related_model.objects.filter(organization__in=organizations)
        return self.filter(pk__in=linked.values(f"{link.field.name}_id"))

    def in_countries(self, codes: list[str]) -> RecordQuerySet:
        """Records involving these countries' organizations, or their predecessors'."""
        from curation.models.organizations import Organization

        return self.involving(Organization.objects.in_countries(codes))

    def in_field(self, slug: str) -> RecordQuerySet:
        through = self.model.fields.through
        linked = through.objects.filter(fieldofcooperation__slug=slug)
        return self.filter(pk__in=linked.values(f"{self.model._meta.model_name}_id"))

    def in_year(self, year: str) -> RecordQuerySet:
        if not (len(year) == 4 and year.isdigit()):
            return self.none()
        return self.filter(**{f"{self.model.DATE_FIELD}__startswith": year})

    def between_years(self, first: int | None, last: int | None) -> RecordQuerySet:
        """Records dated within [first, last]; partial dates count by their year."""
        return self.filter(years_between(self.model.DATE_FIELD, first, last))

    def _links(self):
        """The party or participant links of these records, and the link's field to the record."""
        field = self.model._meta.get_field(self.model.LINKS)
        links = field.related_model.objects.filter(**{f"{field.field.name}__in": self.values("pk")})
        return links, field.field.name

    def country_counts(self) -> dict[str, int]:
        """How many of these records involve each country, former states counted as successors."""
        links, record = self._links()
        rows = (
            links.annotate(code=_effective_country("organization__"))
            .exclude(code="")
            .values("code")
            .annotate(records=Count(record, distinct=True))
            .order_by("-records", "code")
        )
        return {row["code"]: row["records"] for row in rows}

    def kind_counts(self) -> dict[str, int]:
        rows = self.order_by().values("kind").annotate(records=Count("pk"))
        return {row["kind"]: row["records"] for row in rows}

    def field_counts(self) -> dict[int, int]:
        """Records per field of cooperation, by the field's id."""
        through = self.model.fields.through
        rows = (
            through.objects.filter(**{f"{self.model._meta.model_name}__in": self.values("pk")})
            .values("fieldofcooperation_id")
            .annotate(records=Count("pk"))
        )
        return {row["fieldofcooperation_id"]: row["records"] for row in rows}

    def year_country_counts(self) -> list[tuple[str, str, int]]:
        """(year, country, records) for dated records, for charts of activity over time."""
        links, record = self._links()
        rows = (
            links.exclude(**{f"{record}__{self.model.DATE_FIELD}": ""})
            .annotate(
                year=Substr(f"{record}__{self.model.DATE_FIELD}", 1, 4),
                code=_effective_country("organization__"),
            )
            .exclude(code="")
            .values("year", "code")
            .annotate(records=Count(record, distinct=True))
            .order_by("year", "code")
        )
        return [(row["year"], row["code"], row["records"]) for row in rows]

    def years(self) -> list[str]:
        """The years that records have dates in, latest first."""
        field = self.model.DATE_FIELD
        return list(
            self.exclude(**{field: ""})
            .annotate(year=Substr(field, 1, 4))
            .order_by("-year")
            .values_list("year", flat=True)
            .distinct()
        )

    def matching(self, query: str) -> RecordQuerySet:
        """Records with every word of query, ignoring case and diacritics, in a title, the
        summary or a party's names; found through the database's trigram index of search_text
        (an FTS5 table on SQLite, a pg_trgm GIN index on PostgreSQL: migrations 0015-0016).
        The indexes hold the verified records only; the others, which only the admin
        searches, are found by reading their search text."""
        words = search_words(query)
        if connections[self.db].vendor != "sqlite":
            for word in words:  # LIKE '%word%', which PostgreSQL answers from the GIN index
                self = self.filter(search_text__contains=word)
            return self
        long_words = [word for word in words if len(word) >= 3]
        if long_words:  # each a quoted string: the trigram tokenizer finds it as a substring
            table = f"{self.model._meta.db_table}_search"
            phrases = " AND ".join('"' + word.replace('"', '""') + '"' for word in long_words)
            unindexed = self.model._default_manager.filter(status__in=UNINDEXED)
            for word in long_words:
                unindexed = unindexed.filter(search_text__contains=word)
            sql, params = unindexed.order_by().values("pk").query.sql_with_params()
            found = RawSQL(
                f"SELECT rowid FROM {table} WHERE {table} MATCH %s UNION ALL {sql}",
                [phrases, *params],
            )
            self = self.filter(pk__in=found)
        for word in words:
            if len(word) < 3:  # too short for a trigram: compared on the rows found
                self = self.filter(search_text__contains=word)
        return self

    def search(self, query: str) -> RecordQuerySet:
        """matching(query), with the records whose titles hold every word first."""
        words = search_words(query)
        in_title = titles_holding(words)
        title_first = Case(When(in_title, then=Value(0)), default=Value(1)) if words else Value(0)
        return self.matching(query).order_by(title_first, *self.model._meta.ordering)


def titles_holding(words: list[str]) -> models.Q:
    """Records whose English or original title holds every one of words (folded)."""
    in_title = models.Q()
    for word in words:
        in_title &= models.Q(search_title__contains=word)
    return in_title


@dataclass(frozen=True)
class FieldCoverage:
    field: str
    label: str
    has_value: bool
    supported: bool

    @property
    def state(self) -> str:
        if not self.has_value:
            return "missing"
        return "supported" if self.supported else "unsupported"


class Record(StoredText, Versioned, ReferencedModel):
    """An agreement or project: curated by editors, verified by a reviewer, then public."""

    # Fields whose value must rest on a found quote before the record can be verified.
    KEY_FIELDS: dict[str, str] = {}
    LINKS = ""  # the reverse name of the party or participant links
    DATE_FIELD = ""  # the date that places the record in time
    # Fields an editor may change without the record needing review again.
    NON_CONTENT_FIELDS = {"internal_notes"}

    title_en = models.CharField("title (English)", max_length=500)
    title_original = models.CharField(
        "title (original language)",
        max_length=500,
        blank=True,
        help_text="As the source writes it, when it is not English.",
    )
    original_language = models.CharField(max_length=12, blank=True, help_text="en, vi, ru, …")
    summary = models.TextField(blank=True)
    fields = models.ManyToManyField(
        "curation.FieldOfCooperation",
        blank=True,
        related_name="%(class)ss",
        verbose_name="fields of cooperation",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    retraction_reason = models.TextField(blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    internal_notes = models.TextField(blank=True, help_text="For curators only; never public.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    search_text = models.TextField(blank=True, editable=False)
    search_title = models.TextField(blank=True, editable=False)  # for ranking title matches

    objects = RecordQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.reference} {self.title_en}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse(f"curation:{self._meta.model_name}-detail", args=[self.reference])

    def title_in(self, language: str) -> str:
        return self.title_for(language, self.title_en, self.title_original, self.original_language)

    @staticmethod
    def title_for(language: str, title_en: str, title_original: str, original_language: str):
        """The title in language when the record has one in it, else the English title."""
        if title_original and language.split("-")[0] == original_language:
            return title_original
        return title_en

    @property
    def is_public(self) -> bool:
        return self.status == Status.VERIFIED

    def organizations(self):
        """The parties or participants, as Organization objects (prefetch-friendly)."""
        raise NotImplementedError

    def key_field_has_value(self, field: str) -> bool:
        return bool(getattr(self, field))

    def coverage(self) -> list[FieldCoverage]:
        """For each key field: does it have a value, and does a found quote support it?"""
        supported = {
            field
            for citation in self.citations.all()
            if citation.quote_found
            for field in citation.supports
        }
        return [
            FieldCoverage(field, label, self.key_field_has_value(field), field in supported)
            for field, label in self.KEY_FIELDS.items()
        ]

    def uncovered_fields(self) -> list[FieldCoverage]:
        return [item for item in self.coverage() if item.state != "supported"]

    def unfound_citations(self) -> list:
        """Citations whose quote is not in their source's captured text: not evidence."""
        return [citation for citation in self.citations.all() if not citation.quote_found]

    def source_count(self) -> int:
        return len({citation.source_id for citation in self.citations.all()})

    def search_parts(self) -> list[str]:
        parts = [self.reference, self.title_en, self.title_original, self.summary]
        if self.pk:
            for organization in self.organizations():
                parts += [organization.name, organization.name_original, organization.acronym]
        return parts

    def update_derived_fields(self) -> None:
        self.search_text = fold_for_search(" ".join(filter(None, self.search_parts())))
        self.search_title = fold_for_search(f"{self.title_en} {self.title_original}")
