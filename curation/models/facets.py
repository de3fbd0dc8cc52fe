from __future__ import annotations

from django.db import models

ANY_COUNTRY = "*"
ANY_FIELD = 0
ANY_YEAR = "*"  # every year, no year included: what a list without a year filter sums


class FacetCount(models.Model):
    """How many public records of one model share a country, a field of cooperation, a kind
    and a year, as of one publication generation: the list and home pages' counts, read
    without a scan of the records (curation/facets.py builds and reads them).

    A record is counted once in every pair of (one of its countries, or ANY_COUNTRY) and (one
    of its fields, or ANY_FIELD), so a sum over cells that fix both never counts it twice; and
    each such cell is counted under its year and again under ANY_YEAR, so a sum must fix the
    year or exclude ANY_YEAR."""

    model = models.CharField(max_length=16)
    generation = models.PositiveBigIntegerField()
    country = models.CharField(max_length=8)
    field = models.PositiveBigIntegerField()  # a FieldOfCooperation's id, or ANY_FIELD
    kind = models.CharField(max_length=40)
    year = models.CharField(max_length=4, blank=True)
    records = models.PositiveIntegerField()

    class Meta:
        # A facet fixes the field or the country and the year (ANY_YEAR, or a range of them).
        indexes = [
            models.Index(fields=["model", "generation", "country", "year", "field"]),
            models.Index(fields=["model", "generation", "field", "year", "country"]),
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.country}/{self.field}/{self.kind}/{self.year}: {self.records}"


class FacetBuild(models.Model):
    """That the FacetCount rows of a model for a generation are complete."""

    model = models.CharField(max_length=16)
    generation = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "generation"], name="one_build_a_generation")
        ]

    def __str__(self) -> str:
        return f"{self.model} facets of generation {self.generation}"
