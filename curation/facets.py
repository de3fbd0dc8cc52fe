"""Facet counts of the public lists and the home page, without a scan of all records.

They are read from FacetCount, a summary of the public records that is built once per
publication generation: the counter that every write the public can see bumps in its own
transaction (curation/models/publication.py). A page then sums a few hundred cells. The first
page after a verification builds the summary, in one INSERT … SELECT. What the summary cannot
answer exactly counts the records: every facet of a search, and the kinds and fields of several
countries or of a former state's code.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Sum

from curation.models import (
    FacetBuild,
    FacetCount,
    FieldOfCooperation,
    Organization,
    Publication,
    Status,
)
from curation.models.facets import ANY_COUNTRY, ANY_FIELD
from curation.models.records import years_between


@dataclass
class Facets:
    total: int  # records in the list, for the paginator
    countries: dict[str, int]  # most records first
    kinds: dict[str, int]
    fields: dict[int, int]  # by FieldOfCooperation id


def of_list(filterset) -> Facets:
    """Each facet counts the records that match every other valid filter of filterset."""
    chosen = _chosen(filterset)
    cells = _cells_for(filterset.queryset.model, chosen)
    if cells is None:
        return _counted(filterset)
    codes, slug, kind = chosen.get("country") or [], chosen.get("field"), chosen.get("kind")
    field = ANY_FIELD
    if slug:
        field = FieldOfCooperation.objects.filter(slug=slug).values_list("pk", flat=True)[0]
    of_kind = cells.filter(kind=kind) if kind else cells
    countries = _summed(of_kind.filter(field=field).exclude(country=ANY_COUNTRY), "country")
    if len(codes) > 1 or (codes and _counted_apart(codes[0])):
        # The summary holds one country a cell: a record of any of several countries, or of
        # a former state's own code, is counted from the records.
        without = filterset.qs_without
        kinds, fields = without("kind").kind_counts(), without("field").field_counts()
    else:
        country = codes[0] if codes else ANY_COUNTRY
        kinds = _summed(cells.filter(country=country, field=field), "kind")
        fields = _summed(of_kind.filter(country=country).exclude(field=ANY_FIELD), "field")
    return Facets(
        total=_total(kinds, kind),
        countries=dict(sorted(countries.items(), key=lambda item: (-item[1], item[0]))),
        kinds=kinds,
        fields=fields,
    )


def of_all(model) -> Facets:
    """The facets of every public record of model, with their total."""
    return of_list(_Unfiltered(model.objects.public()))


def per_year_and_country(model) -> list[tuple[str, str, int]]:
    """(year, country, records) of the dated public records, as for a chart over time."""
    cells = _summary(model)
    if cells is None:
        return model.objects.public().year_country_counts()
    rows = (
        cells.filter(field=ANY_FIELD, year__gt="")
        .exclude(country=ANY_COUNTRY)
        .values("year", "country")
        .annotate(records=Sum("records"))
        .order_by("year", "country")
    )
    return [(row["year"], row["country"], row["records"]) for row in rows]


class _Unfiltered:
    is_bound = False

    def __init__(self, queryset):
        self.queryset = queryset

    def is_valid(self) -> bool:
        return True

    def qs_without(self, *names: str):
        return self.queryset


def _chosen(filterset) -> dict:
    """The filters' cleaned values: invalid fields are left out, as in filterset.qs."""
    filterset.is_valid()
    return filterset.form.cleaned_data if filterset.is_bound else {}


def _summed(cells, column: str) -> dict:
    rows = cells.values(column).annotate(records=Sum("records")).order_by()
    return {row[column]: row["records"] for row in rows}


def _cells_for(model, chosen: dict):
    """The summary's cells within the chosen years, or None for a search (which the summary
    cannot answer) or if the summary cannot be built now."""
    if chosen.get("q"):
        return None
    cells = _summary(model)
    if cells is None:
        return None
    return cells.filter(years_between("year", chosen.get("year_min"), chosen.get("year_max")))


def _counted_apart(code: str) -> bool:
    """Whether a country filter of code finds organizations that its facet does not count:
    a former state (SU) is counted as its successor (RU) but is filtered by its own code."""
    return (
        Organization.objects.filter(country=code).exclude(lineage_country__in=["", code]).exists()
    )


def _total(kinds: dict[str, int], chosen_kind: str | None) -> int:
    """The list's total, from its kind facet: every record has one kind."""
    return kinds.get(chosen_kind, 0) if chosen_kind else sum(kinds.values())


def _counted(filterset) -> Facets:
    without = filterset.qs_without
    kinds = without("kind").kind_counts()
    return Facets(
        total=_total(kinds, _chosen(filterset).get("kind")),
        countries=without("country", "match").country_counts(),
        kinds=kinds,
        fields=without("field").field_counts(),
    )


def _summary(model):
    """The FacetCount rows of model for the current generation, built first if need be; None
    if another write holds the database (SQLite): then this page counts the records."""
    name, generation = model._meta.model_name, Publication.current()
    if not FacetBuild.objects.filter(model=name, generation=generation).exists():
        try:
            with _not_waiting_for_writers(), transaction.atomic():
                FacetBuild.objects.create(model=name, generation=generation)
                _build(model, generation)
                FacetBuild.objects.filter(model=name, generation__lt=generation).delete()
                FacetCount.objects.filter(model=name, generation__lt=generation).delete()
        except IntegrityError:
            pass  # another request has just built it
        except OperationalError:
            return None  # a long import is writing: readers never wait for it
    return FacetCount.objects.filter(model=name, generation=generation)


@contextmanager
def _not_waiting_for_writers():
    """On SQLite, fail at once rather than wait (20 s) for the lock that a write holds."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (waits,) = cursor.fetchone()
        cursor.execute("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(waits)}")


def _build(model, generation: int) -> None:
    """Count the public records in every cell, one INSERT … SELECT over records and links."""
    link = model._meta.get_field(model.LINKS)
    through = model.fields.through
    names = {
        "cells": FacetCount._meta.db_table,
        "records": model._meta.db_table,
        "date": model._meta.get_field(model.DATE_FIELD).column,
        "links": link.related_model._meta.db_table,
        "link_record": link.field.column,
        "organizations": Organization._meta.db_table,
        "fields": through._meta.db_table,
        "field_record": through._meta.get_field(model._meta.model_name).column,
        "field": through._meta.get_field("fieldofcooperation").column,
    }
    # Countries as the country facet counts them: a former state as its successor's.
    sql = """
        INSERT INTO {cells} (model, generation, country, field, kind, year, records)
        SELECT %s, %s, c.code, f.field, r.kind, r.year, COUNT(*)
        FROM (SELECT id, kind, SUBSTR({date}, 1, 4) AS year FROM {records} WHERE status = %s) r
        JOIN (
            SELECT DISTINCT l.{link_record} AS record,
                CASE WHEN o.lineage_country = '' THEN o.country ELSE o.lineage_country END AS code
            FROM {links} l JOIN {organizations} o ON o.id = l.organization_id
            WHERE o.lineage_country != '' OR o.country != ''
            UNION ALL SELECT id, %s FROM {records}
        ) c ON c.record = r.id
        JOIN (
            SELECT {field_record} AS record, {field} AS field FROM {fields}
            UNION ALL SELECT id, %s FROM {records}
        ) f ON f.record = r.id
        GROUP BY c.code, f.field, r.kind, r.year
    """.format(**names)
    params = [model._meta.model_name, generation, Status.VERIFIED, ANY_COUNTRY, ANY_FIELD]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
