"""The seed dataset: real curation, held to the same rules as any curator's work."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command

from curation.models import Agreement, Citation, Organization, Project, Source, Status

EXTRACTION = Path(__file__).resolve().parent.parent / "fixtures" / "EXTRACTION.md"
# Words of a curator's reasoning, which belong in internal notes rather than public summaries.
CURATORS_WORDS = re.compile(
    r"the (article|source|record)|in review|curator|gives no|does not (say|name)|names only"
    r"|inferred|unclear",
    re.IGNORECASE,
)


def test_seed_holds_the_five_articles_and_dozens_of_records(seed):
    assert Source.objects.count() == 5
    assert Agreement.objects.count() + Project.objects.count() >= 40
    assert Agreement.objects.public().exists() and Project.objects.public().exists()


def test_every_seed_quote_is_found_in_its_source(seed):
    for citation in Citation.objects.select_related("source"):
        citation.locate_quote()
        assert citation.quote_found, f"{citation.pk}: {citation.quote}"


def test_every_seed_quote_is_the_sources_own_characters(seed):
    for citation in Citation.objects.select_related("source"):
        assert citation.quote in citation.source.captured_text, f"{citation.pk}: {citation.quote}"


def extraction_table():
    rows = re.findall(
        r"^\| `\d{3}` .*? \| (SRC-\d{4}) \| (\d+) \| (\d+) \| (\d+) \|$",
        EXTRACTION.read_text(),
        re.MULTILINE,
    )
    assert len(rows) == 5
    return {ref: tuple(int(n) for n in counts) for ref, *counts in rows}


def test_records_by_article_are_those_extraction_md_states(seed):
    for source in Source.objects.all():
        records = [
            model.objects.filter(citations__source=source).distinct()
            for model in (Agreement, Project)
        ]
        verified = sum(r.filter(status=Status.VERIFIED).count() for r in records)
        counts = (records[0].count(), records[1].count(), verified)
        assert counts == extraction_table()[source.reference], source.reference


@pytest.mark.parametrize("model", [Agreement, Project])
def test_no_public_summary_carries_a_curators_note(seed, model):
    for record in model.objects.exclude(summary=""):
        assert not CURATORS_WORDS.search(record.summary), (record.reference, record.summary)
    assert model.objects.exclude(internal_notes="").exists()


def test_every_source_names_its_page(seed):
    assert not Source.objects.filter(url="").exists()


def test_non_english_quotes_carry_a_translation_and_inferences_say_how(seed):
    for citation in Citation.objects.select_related("source"):
        citation.full_clean()
    assert Citation.objects.filter(source__language="vi").count() >= 10


def test_verified_seed_records_are_covered_and_checked_by_another_person(seed):
    for model in (Agreement, Project):
        for record in model.objects.prefetch_related("citations", f"{model.LINKS}"):
            if record.status == Status.VERIFIED:
                assert not record.uncovered_fields(), record.reference
                assert record.verified_by_id != record.last_edited_by_id
            else:
                assert record.status == Status.IN_REVIEW and record.uncovered_fields()


def test_partial_dates_and_inferred_date_from_the_seeds(seed):
    assert Agreement.objects.get(date_signed="1959-03-07").organizations()[0].name in {
        "Democratic Republic of Vietnam",
        "Soviet Union",
    }
    assert Agreement.objects.filter(date_signed="2014-11").exists()
    memorandum = Agreement.objects.get(date_signed="2025-11-20")
    assert any("date_signed" in c.supports and c.is_inferred for c in memorandum.citations.all())


def test_soviet_era_agreement_counts_for_russia(seed):
    assert Organization.objects.get(name="Soviet Union").lineage_country == "RU"
    assert Agreement.objects.in_countries(["RU"]).filter(date_signed="1959-03-07").exists()


def test_nuclear_centre_implements_the_2011_agreement(seed):
    centre = Project.objects.get(title_en__startswith="Centre of Nuclear Science")
    assert sorted(a.date_signed for a in centre.agreements.all()) == ["2011-11-21", "2025-05-10"]
    assert "Russia" in {o.name for o in centre.organizations()}
    assert centre.citations.values("source").distinct().count() == 2
    # Reading the Vietnamese name as the same centre is the curator's inference.
    assert centre.citations.get(source__language="vi").is_inferred


def test_agreements_the_source_does_not_date_have_no_date(seed):
    for partner in ("Gamaleya", "Binnopharm"):
        agreement = Agreement.objects.get(title_en__contains=partner)
        assert (agreement.date_signed, agreement.place) == ("", "")
        assert agreement.status == Status.IN_REVIEW


def test_agreements_reported_only_as_a_group_are_one_record_that_says_how_many(seed):
    group = Agreement.objects.get(kind=Agreement.Kind.GROUP)
    assert group.title_en.startswith("Twelve agreements")
    [title] = [c for c in group.citations.all() if "title" in c.supports]
    assert "12 agreements" in title.quote


def test_loading_the_seed_keeps_reference_numbering_going(seed, alice):
    from tests.conftest import make_agreement

    highest = max(
        int(r.split("-")[1]) for r in Agreement.objects.values_list("reference", flat=True)
    )
    assert make_agreement(alice).reference == f"AGR-{highest + 1:04d}"


def test_setup_demo_does_not_overwrite_existing_data(seed, alice):
    agreement = Agreement.objects.first()
    Agreement.objects.filter(pk=agreement.pk).update(title_en="Edited locally")
    call_command("setup_demo")
    assert Agreement.objects.get(pk=agreement.pk).title_en == "Edited locally"
