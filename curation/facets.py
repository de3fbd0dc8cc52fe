"""Facet counts of the public lists and the home page, without a scan of all records.

They are read from FacetCount, a summary of the public records as of one publication
generation: the counter that every write the public can see bumps in its own transaction
(curation/models/publication.py). Each record is counted in its year and again in ANY_YEAR,
so a page without a year filter sums a few dozen cells, and one with a year range those of
each year in it. A verification, a retraction, an admin edit of a verified record or an import that
updates some carries the summary over to its generation in its own transaction
(carried_over), and so does an admin edit of a source, a field or an organization that
changes no count (carried_over_if_same); after any other public write, the next page builds
it in one INSERT … SELECT. What the summary cannot answer exactly counts the records: every
facet of a search, and the kinds and fields of several countries or of a former state's code.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
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
from curation.models.facets import ANY_COUNTRY, ANY_FIELD, ANY_YEAR
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
        .exclude(year=ANY_YEAR)
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
    first, last = chosen.get("year_min"), chosen.get("year_max")
    if first is None and last is None:
        return cells.filter(year=ANY_YEAR)
    return cells.filter(years_between("year", first, last)).exclude(year=ANY_YEAR)


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
                _tell_the_planner_of_the_generation()
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
    _insert_cells(model._meta.model_name, generation, model, "status = %s", [Status.VERIFIED])


def _insert_cells(name: str, generation: int, model, which: str, params: list) -> None:
    cells, params = _cells_of(model, which, params)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FacetCount._meta.db_table} "
            "(model, generation, country, field, kind, year, records) "
            f"SELECT %s, %s, country, field, kind, year, records FROM ({cells}) counted",
            [name, generation, *params],
        )


def _cells_of(model, which: str, params: list) -> tuple[str, list]:
    """SQL of (country, field, kind, year, records) for the records of model that which (a
    condition on their table, with params) picks: each record counted once in every pair of
    (one of its countries, or ANY_COUNTRY) and (one of its fields, or ANY_FIELD), under its
    year and under ANY_YEAR."""
    link = model._meta.get_field(model.LINKS)
    through = model.fields.through
    names = {
        "records": model._meta.db_table,
        "date": model._meta.get_field(model.DATE_FIELD).column,
        "links": link.related_model._meta.db_table,
        "link_record": link.field.column,
        "organizations": Organization._meta.db_table,
        "fields": through._meta.db_table,
        "field_record": through._meta.get_field(model._meta.model_name).column,
        "field": through._meta.get_field("fieldofcooperation").column,
        "which": which,
    }
    # Countries as the country facet counts them: a former state as its successor's.
    sql = """
        WITH cells AS (SELECT c.code AS country, f.field AS field, r.kind AS kind,
            r.year AS year, COUNT(*) AS records
        FROM (SELECT id, kind, SUBSTR({date}, 1, 4) AS year FROM {records} WHERE {which}) r
        JOIN (
            SELECT DISTINCT l.{link_record} AS record,
                CASE WHEN o.lineage_country = '' THEN o.country ELSE o.lineage_country END AS code
            FROM {links} l JOIN {organizations} o ON o.id = l.organization_id
            WHERE (o.lineage_country != '' OR o.country != '')
                AND l.{link_record} IN (SELECT id FROM {records} WHERE {which})
            UNION ALL SELECT id, %s FROM {records} WHERE {which}
        ) c ON c.record = r.id
        JOIN (
            SELECT {field_record} AS record, {field} AS field FROM {fields}
            WHERE {field_record} IN (SELECT id FROM {records} WHERE {which})
            UNION ALL SELECT id, %s FROM {records} WHERE {which}
        ) f ON f.record = r.id
        GROUP BY c.code, f.field, r.kind, r.year)
        SELECT country, field, kind, year, records FROM cells
        UNION ALL SELECT country, field, kind, %s, SUM(records) FROM cells
        GROUP BY country, field, kind
    """.format(**names)
    return sql, [*params, *params, ANY_COUNTRY, *params, *params, ANY_FIELD, *params, ANY_YEAR]


# A write to more records than this is left to the next page's build.
CARRIED_RECORDS = 2000
# Inside carried_over: a step on one of its records leaves the carrying to it.
_carrying = ContextVar("carrying", default=False)


@contextmanager
def carried_over(model, pks):
    """Around a write, in its transaction, that changes what the public sees of the records
    pks of model and of nothing else (a verification, a retraction, an edit that sends a
    verified record back to review): the summary of the generation before it becomes that of
    the generation after it, less the cells of those records as they were public before it
    and plus their cells as they are public after it, so that no page has to build it.
    Without a summary of the generation before, the next page builds one, as after any other
    public write. Nested in another, it does nothing: the outer one carries its records once,
    however many steps ran inside."""
    pks = list(pks)
    if _carrying.get():
        yield
        return
    with _carrying_over(0 < len(pks) <= CARRIED_RECORDS) as built:
        set_aside = model._meta.model_name in built and _set_aside(
            model, built[model._meta.model_name], _public(model, pks)
        )
        yield
        _carry_to_now(built, model, _public(model, pks) if built else [])
        if set_aside:
            FacetCount.objects.filter(model=_SET_ASIDE + model._meta.model_name).delete()


@contextmanager
def carried_over_if_same(counted):
    """Around a write, in its transaction, that changes no cell of the summary so long as
    counted() (what the summary counts of the rows the write touches, such as an
    organization's country) is the same after it as before it: an edit of a source, of a
    field's name, of an organization's name. Then the summary of the generation before is
    that of the generation after, as it is; else the next page builds it."""
    if _carrying.get():
        yield
        return
    with _carrying_over() as built:
        before = counted()
        yield
        if counted() == before:
            _carry_to_now(built, None, [])


@contextmanager
def _carrying_over(carrying: bool = True):
    """The models whose summary is built for the current generation, with that generation
    (none if not carrying); no other write commits until this one does, and steps nested
    inside carry nothing: they are part of this write."""
    token = _carrying.set(True)
    try:
        if not carrying:
            yield {}
            return
        before = Publication.locked_current()
        built = FacetBuild.objects.filter(generation=before).values_list("model", flat=True)
        yield dict.fromkeys(built, before)
    finally:
        _carrying.reset(token)


def _carry_to_now(built: dict[str, int], model, public: list) -> None:
    """Each summary in built (a model's name: the generation before the write) carried over to
    the current generation, if the write started a new one. The written records of model
    (None for a write that changes no count) are counted as they are now: public lists those
    that are public (see _carry). The planner is told of the new generation once."""
    after = Publication.current()
    carried = False
    for name, before in built.items():
        if after == before:
            continue
        is_model = model is not None and name == model._meta.model_name
        _carry(name, before, after, model if is_model else None, public)
        FacetBuild.objects.create(model=name, generation=after)
        # Pages that read the generation before a moment ago still find it.
        FacetBuild.objects.filter(model=name, generation__lt=before).delete()
        FacetCount.objects.filter(model=name, generation__lt=before).delete()
        carried = True
    if carried:
        _tell_the_planner_of_the_generation()


def _tell_the_planner_of_the_generation() -> None:
    """PostgreSQL's planner knows the generations from its statistics. It puts one newer than
    them at a single cell under either index, and may then read a facet through the index that
    does not fit it: every cell of the generation, not those of one country or field (1.6
    against 0.1 ms for the list's field facet at 100,000 agreements), until autovacuum next
    analyzes the table. Analyzing the one column in the write's transaction takes about 13 ms.
    SQLite keeps no statistics of it; its planner goes by the columns each index fixes."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {FacetCount._meta.db_table} (generation)")


# The cells of the records a write changes, as they were before it, are kept under this
# prefix to the model's name until the write's transaction carries the summary over: no
# reader looks for them, and no other transaction sees them.
_SET_ASIDE = "-"


def _set_aside(model, generation: int, pks: list) -> bool:
    if not pks:
        return False
    which = f"id IN ({', '.join(['%s'] * len(pks))})"
    _insert_cells(_SET_ASIDE + model._meta.model_name, generation, model, which, pks)
    return True


def _public(model, pks) -> list:
    return list(
        model.objects.filter(pk__in=pks, status=Status.VERIFIED).values_list("pk", flat=True)
    )


def _carry(name: str, before: int, after: int, model, public: list) -> None:
    """The cells of generation after: those of before, less the cells set aside for model
    (its records as they were) and plus the cells of public (those records as they are)."""
    table = FacetCount._meta.db_table
    parts = [
        f"SELECT country, field, kind, year, records FROM {table} "
        "WHERE model = %s AND generation = %s"
    ]
    params = [name, before]
    if model:
        parts.append(f"SELECT country, field, kind, year, -records FROM {table} WHERE model = %s")
        params.append(_SET_ASIDE + name)
        if public:
            cells, cell_params = _cells_of(
                model, f"id IN ({', '.join(['%s'] * len(public))})", list(public)
            )
            parts.append(f"SELECT country, field, kind, year, records FROM ({cells}) c")
            params += cell_params
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (model, generation, country, field, kind, year, records) "
            f"SELECT %s, %s, country, field, kind, year, SUM(records) FROM ("
            f"{' UNION ALL '.join(parts)}) cells "
            "GROUP BY country, field, kind, year HAVING SUM(records) > 0",
            [name, after, *params],
        )
