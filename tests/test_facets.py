"""Facet counts read from the summary (curation/facets.py) are the counts of the records.

Hypothesis builds agreements and projects in every status, with dates, kinds, fields and
organizations of several countries, a former state among them. For every filter the summary
answers, its counts must equal those counted from the records, and both totals the list's own.
"""

import re
from itertools import product
from unittest.mock import patch

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from curation import facets
from curation.accounts import ensure_user
from curation.filters import AgreementFilter, ProjectFilter
from curation.models import (
    Agreement,
    FacetBuild,
    FacetCount,
    FieldOfCooperation,
    Organization,
    Project,
    Publication,
    Status,
)
from curation.models.facets import ANY_COUNTRY, ANY_FIELD, ANY_YEAR
from curation.roles import EDITORS

CONTENT = {  # what an edit may change
    "kind": st.integers(0, 1),
    "date": st.sampled_from(["", "1999", "2000-05", "2004-02-03", "2011"]),
    "organizations": st.lists(st.integers(0, 4), max_size=3, unique=True),
    "fields": st.lists(st.integers(0, 1), max_size=2, unique=True),
}
RECORD = st.fixed_dictionaries(
    {
        "model": st.sampled_from([Agreement, Project]),
        "status": st.sampled_from(list(Status)),
        **CONTENT,
    }
)
FILTERS = [
    {key: value for key, value in zip(names, values, strict=True) if value is not None}
    for names in [("country", "kind", "field", "year_min", "year_max")]
    for values in product(
        [None, ["VN"], ["RU"], ["SU"], ["VN", "RU"]],
        [None, 0],
        [None, "facet-a"],
        [None, 2000],
        [None, 2005],
    )
]


def build(specs):
    editor = ensure_user("facet-editor", [EDITORS])
    russia = Organization.objects.create(name="Russia", kind="state", country="RU")
    organizations = [
        Organization.objects.create(name="Vietnam", kind="state", country="VN"),
        russia,
        Organization.objects.create(name="USSR", kind="state", country="SU", successor=russia),
        Organization.objects.create(name="Academy", kind="institute", country="VN"),
        Organization.objects.create(name="IAEA", kind="international"),
    ]
    fields = [
        FieldOfCooperation.objects.create(name="Facet A", slug="facet-a"),
        FieldOfCooperation.objects.create(name="Facet B", slug="facet-b"),
    ]
    for spec in specs:
        model = spec["model"]
        record = model.objects.create(
            title_en="A record",
            kind=model.Kind.values[spec["kind"]],
            status=spec["status"],
            last_edited_by=editor,
            **{model.DATE_FIELD: spec["date"]},
        )
        for index in spec["organizations"]:
            getattr(record, model.LINKS).create(organization=organizations[index])
        record.fields.set([fields[index] for index in spec["fields"]])


def filterset(model, chosen: dict):
    data = {
        name: model.Kind.values[value] if name == "kind" else value
        for name, value in chosen.items()
    }
    queryset = model.objects.public()
    return (AgreementFilter if model is Agreement else ProjectFilter)(data, queryset=queryset)


class FacetSummaryTest(TestCase):
    @settings(
        max_examples=40,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking: many minutes
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        st.lists(RECORD, max_size=10),
        st.lists(st.sampled_from(FILTERS), min_size=1, max_size=12, unique_by=str),
    )
    def test_the_summary_counts_what_the_records_count(self, specs, filters):
        build(specs)
        Publication.bump()  # as every public write does: links and fields arrive after a save
        for model, chosen in product([Agreement, Project], filters):
            from_summary = facets.of_list(filterset(model, chosen))
            counted = facets._counted(filterset(model, chosen))
            cleaned = facets._chosen(filterset(model, chosen))
            assert facets._cells_for(model, cleaned) is not None, "the summary answers"
            assert from_summary.countries == counted.countries, (model, chosen)
            assert list(from_summary.countries) == list(counted.countries), "most records first"
            assert from_summary.kinds == counted.kinds, (model, chosen)
            assert from_summary.fields == counted.fields, (model, chosen)
            listed = filterset(model, chosen).qs.count()
            assert from_summary.total == counted.total == listed, (model, chosen)
        for model in (Agreement, Project):
            everything = model.objects.public()
            assert facets.per_year_and_country(model) == everything.year_country_counts()


EDITS = st.one_of(
    st.none(),
    st.fixed_dictionaries(CONTENT),
)
CHANGES = st.lists(
    st.tuples(
        st.lists(st.integers(0, 9), min_size=1, max_size=3),
        st.sampled_from(list(Status)),
        EDITS,
    ),
    min_size=1,
    max_size=3,
)


def edit(model, pks, content: dict) -> None:
    """Give the records pks the content of a RECORD: kind, date, organizations, fields."""
    organizations = list(Organization.objects.order_by("pk"))
    fields = list(FieldOfCooperation.objects.filter(slug__startswith="facet-").order_by("pk"))
    model.objects.filter(pk__in=pks).update(
        kind=model.Kind.values[content["kind"]], **{model.DATE_FIELD: content["date"]}
    )
    for record in model.objects.filter(pk__in=pks):
        getattr(record, model.LINKS).all().delete()
        for index in content["organizations"]:
            getattr(record, model.LINKS).create(organization=organizations[index])
        record.fields.set([fields[index] for index in content["fields"]])


def rebuilt(*args):
    raise AssertionError("the summary was built again: it should have been carried over")


class CarriedOverTest(TestCase):
    @settings(
        max_examples=25,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(RECORD, min_size=1, max_size=10), CHANGES)
    def test_a_change_of_status_or_content_carries_the_summary_over_exactly(self, specs, changes):
        build(specs)
        Publication.bump()
        for model in (Agreement, Project):
            facets.of_all(model)  # builds this generation's summaries
        with patch.object(facets, "_build", rebuilt):
            for indexes, status, content in changes:
                for model in (Agreement, Project):
                    pks = list(model.objects.order_by("pk").values_list("pk", flat=True))
                    if not pks:
                        continue
                    chosen = {pks[index % len(pks)] for index in indexes}
                    with transaction.atomic(), facets.carried_over(model, chosen):
                        model.objects.filter(pk__in=chosen).update(status=status)
                        if content:
                            edit(model, chosen, content)
                        Publication.bump()
                    for record_model, filters in product([Agreement, Project], FILTERS[::3]):
                        carried = facets.of_list(filterset(record_model, filters))
                        counted = facets._counted(filterset(record_model, filters))
                        assert carried == counted, (record_model, filters)
                    for record_model in (Agreement, Project):
                        everything = record_model.objects.public().year_country_counts()
                        assert facets.per_year_and_country(record_model) == everything


@pytest.mark.django_db
def test_verifying_and_retracting_carry_the_summary_to_the_next_generation(alice, rita):
    from curation import services
    from tests.conftest import make_agreement

    agreement = make_agreement(alice, date_signed="2011")
    others = [make_agreement(alice, date_signed="1999") for _ in range(2)]
    assert facets.of_all(Agreement).total == 0  # builds the summary of this generation
    with patch.object(facets, "_build", rebuilt):
        services.verify_record(agreement, by=rita)
        assert facets.of_all(Agreement).total == 1
        verified, refused = services.verify_records(
            Agreement.objects.filter(pk__in=[other.pk for other in others]), by=rita
        )
        assert len(verified) == 2 and not refused
        assert facets.of_all(Agreement).kinds == {Agreement.Kind.INTERGOVERNMENTAL: 3}
        services.retract_record(agreement, by=rita, reason="The source confused two agreements.")
        assert facets.of_all(Agreement).total == 2
    kept = set(FacetBuild.objects.values_list("generation", flat=True))
    assert max(kept) == Publication.current() and len(kept) <= 4, "older ones are deleted"


@pytest.mark.django_db
def test_a_batch_of_steps_carries_the_summary_once(alice, rita):
    """The admin's Retract action runs retract_record on each selected record: the summary is
    carried over once for the batch, not copied once a record."""
    from curation import services
    from tests.conftest import make_agreement

    batch = [make_agreement(alice, status=Status.VERIFIED) for _ in range(3)]
    assert facets.of_all(Agreement).total == 3
    with (
        patch.object(facets, "_build", rebuilt),
        patch.object(facets, "_carry", wraps=facets._carry) as carried,
    ):
        done, refused = services.apply_to_each(
            Agreement.objects.filter(pk__in=[record.pk for record in batch]),
            services.retract_record,
            by=rita,
            reason="Reported twice.",
        )
        assert len(done) == 3 and not refused
        assert facets.of_all(Agreement).total == 0
    assert carried.call_count == 1


def test_an_admin_edit_of_a_verified_record_carries_the_summary_without_a_rebuild(
    client, alice, rita, eve
):
    """An edit of kind, date and party sends a verified record back to review: the summary
    loses its cells as they were before the edit, not as the edit left them."""
    from django.urls import reverse

    from tests.conftest import make_agreement, make_organization
    from tests.test_admin_workflow import agreement_with_inlines_form

    agreement = make_agreement(alice, status=Status.VERIFIED, date_signed="1999")
    make_agreement(alice, status=Status.VERIFIED, date_signed="2011")
    elsewhere = make_organization("Elsewhere", country="FR")
    assert facets.of_all(Agreement).total == 2  # builds the summary of this generation
    form = agreement_with_inlines_form(
        agreement,
        kind=Agreement.Kind.MOU,
        date_signed="2020",
        **{"party_links-0-organization": elsewhere.pk},
    )
    client.force_login(eve)
    with patch.object(facets, "_build", rebuilt):
        url = reverse("admin:curation_agreement_change", args=[agreement.pk])
        assert client.post(url, form).status_code == 302
        agreement.refresh_from_db()
        assert agreement.status == Status.IN_REVIEW and agreement.date_signed == "2020"
        everything = facets.of_all(Agreement)
        assert everything == facets._counted(facets._Unfiltered(Agreement.objects.public()))
        assert everything.total == 1 and everything.kinds == {Agreement.Kind.INTERGOVERNMENTAL: 1}
        assert facets.per_year_and_country(Agreement) == (
            Agreement.objects.public().year_country_counts()
        )
    assert not FacetCount.objects.filter(model__startswith="-").exists(), "nothing left aside"


def test_an_import_that_changes_verified_records_carries_the_summary(seed, alice):
    """The import's rows change the kind and date of two verified agreements, which go back
    to review: the summary loses their cells as they were, without a rebuild."""
    import tablib

    from curation.resources import AgreementResource

    chosen = list(Agreement.objects.public().order_by("pk").values_list("pk", flat=True)[:2])
    assert len(chosen) == 2
    exported = AgreementResource().export(Agreement.objects.filter(pk__in=chosen)).dict
    for row in exported:
        row |= {"kind": "Action plan", "date_signed": "1987"}
    sheet = tablib.Dataset(*[tuple(row.values()) for row in exported], headers=list(exported[0]))
    before = facets.of_all(Agreement)  # builds the summary of this generation
    with patch.object(facets, "_build", rebuilt):
        result = AgreementResource().import_data(sheet, dry_run=False, user=alice)
        assert result.totals["update"] == 2 and not result.has_errors()
        assert not Agreement.objects.filter(pk__in=chosen).public().exists()
        after = facets.of_all(Agreement)
        assert after == facets._counted(facets._Unfiltered(Agreement.objects.public()))
        assert after.total == before.total - 2
        assert facets.per_year_and_country(Agreement) == (
            Agreement.objects.public().year_country_counts()
        )


def test_the_summary_is_built_once_a_generation_and_after_each_public_write(alice, rita):
    from curation import services
    from tests.conftest import make_agreement

    agreement = make_agreement(alice, date_signed="2011")
    assert facets.of_all(Agreement).total == 0

    def built() -> set[int]:
        return set(
            FacetBuild.objects.filter(model="agreement").values_list("generation", flat=True)
        )

    generation = Publication.current()
    assert built() == {generation}
    services.save_record(Agreement(title_en="A draft", kind="treaty"), by=alice)  # not public
    assert Publication.current() == generation and facets.of_all(Agreement).total == 0
    services.verify_record(agreement, by=rita)  # carried over to the next generation
    assert facets.of_all(Agreement).total == 1
    assert built() == {generation, Publication.current()}
    Publication.bump()  # as a change to an organization does: the next page builds
    assert facets.of_all(Agreement).total == 1
    assert built() == {Publication.current()}, "older generations are deleted"
    assert set(FacetCount.objects.values_list("generation", flat=True)) == built()


def test_a_page_that_cannot_build_the_summary_counts_the_records(client, alice, monkeypatch):
    """While a long import holds SQLite's lock, a reader does not wait for it to build."""
    from django.db import OperationalError

    from tests.conftest import make_agreement, make_organization

    agreement = make_agreement(alice, status=Status.VERIFIED, date_signed="2011")
    agreement.party_links.create(organization=make_organization("Cuba", country="CU"))

    def locked(*args):
        raise OperationalError("database is locked")

    monkeypatch.setattr(facets, "_build", locked)
    response = client.get("/agreements/")
    assert response.status_code == 200
    assert ("CU", "Cuba", 1) in response.context["facets"]["country"]
    assert response.context["paginator"].count == 1
    home = client.get("/")
    assert home.status_code == 200 and home.context["counts"]["agreements"] == 1
    assert not FacetBuild.objects.exists()


def _reference_edits(seed):
    """(object, form data) for an edit of each kind of reference data a public record shows."""
    from curation.models import Source

    agreement = Agreement.objects.public().first()
    organization = agreement.party_links.first().organization
    source = Source.objects.filter(citations__agreement=agreement).first()
    field = agreement.fields.first()
    return {
        "organization": (
            organization,
            {
                "name": organization.name + " (renamed)",
                "kind": organization.kind,
                "country": organization.country,
                "successor": organization.successor_id or "",
                "loaded_version": organization.version,
            },
        ),
        "source": (
            source,
            {
                "title": source.title + " (retitled)",
                "captured_text": source.captured_text,
                "kind": source.kind,
                "language": source.language,
                "captured_at_0": "2025-01-01",
                "captured_at_1": "00:00:00",
                "loaded_version": source.version,
            },
        ),
        "field": (field, {"name": field.name + " (renamed)", "slug": field.slug}),
    }


@pytest.mark.parametrize("edited", ["organization", "source", "field"])
def test_an_edit_that_changes_no_count_carries_the_summary(client, seed, eve, edited):
    """A new name for an organization or a field, a new title for a source: the public
    pages change (the generation moves on) but no count does, and no reader rebuilds."""
    from django.urls import reverse

    obj, form = _reference_edits(seed)[edited]
    counts = {model: facets.of_all(model) for model in (Agreement, Project)}  # built now
    generation = Publication.current()
    client.force_login(eve)
    with patch.object(facets, "_build", rebuilt):
        url = reverse(f"admin:curation_{obj._meta.model_name}_change", args=[obj.pk])
        response = client.post(url, form)
        assert response.status_code == 302, response.context["adminform"].form.errors
        assert Publication.current() > generation
        assert {model: facets.of_all(model) for model in (Agreement, Project)} == counts


def test_a_new_country_for_an_organization_is_counted_by_the_next_reader(client, seed, eve):
    """A change to what the summary counts is not carried: the next page builds the summary,
    and counts the organization's records under its new country."""
    from django.urls import reverse

    obj, form = _reference_edits(seed)["organization"]
    before = facets.of_all(Agreement)
    client.force_login(eve)
    url = reverse("admin:curation_organization_change", args=[obj.pk])
    assert client.post(url, {**form, "country": "NZ"}).status_code == 302
    after = facets.of_all(Agreement)
    assert after == facets._counted(facets._Unfiltered(Agreement.objects.public()))
    assert after.countries.get("NZ") and after.countries != before.countries


def _index_read_by(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        plan = " ".join(str(row) for row in cursor.fetchall())
    names = [index.name for index in FacetCount._meta.indexes if index.name in plan]
    return names[0] if len(names) == 1 else plan


def test_after_a_public_write_each_facet_reads_the_index_that_fits_it(client, alice, rita):
    """A list's country facet fixes the field and year, its field facet the country and year:
    each must read the summary through the index that leads with what it fixes, or it reads
    every cell of the generation. On PostgreSQL the planner knows a generation only from its
    statistics, and each public write starts a new one."""
    from curation import services
    from tests.conftest import make_agreement

    by_country, by_field = (
        next(index.name for index in FacetCount._meta.indexes if index.fields[2] == lead)
        for lead in ("country", "field")
    )
    make_agreement(alice, status=Status.VERIFIED, date_signed="2011")
    assert facets.of_all(Agreement).total == 1
    generation = Publication.current()
    fields = FieldOfCooperation.objects.bulk_create(
        FieldOfCooperation(name=f"Field {n}", slug=f"field-{n}") for n in range(8)
    )
    FacetCount.objects.bulk_create(  # a summary the size of a real one's
        FacetCount(
            model="agreement",
            generation=generation,
            country=country,
            field=field,
            kind="treaty",
            year=year,
            records=1,
        )
        for country, year, field in product(
            [ANY_COUNTRY, *(f"Q{n}" for n in range(30))],
            [ANY_YEAR, *(str(year) for year in range(1970, 2010))],
            [ANY_FIELD, *(field.pk for field in fields)],
        )
    )
    if connection.vendor == "postgresql":  # as autovacuum does after so many new rows
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {FacetCount._meta.db_table}")
    services.verify_record(make_agreement(alice, date_signed="2012"), by=rita)
    assert Publication.current() > generation
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/agreements/").status_code == 200
    read = {}
    for query in queries.captured_queries:
        selected = re.match(r'SELECT "curation_facetcount"\."(\w+)"', query["sql"])
        if selected and "SUM(" in query["sql"]:
            read[selected[1]] = _index_read_by(query["sql"])
    assert read["country"] == by_field
    assert read["field"] == by_country
