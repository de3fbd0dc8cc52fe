"""Quotes are checked against the source's captured text, forgiving only typography."""

import unicodedata

import pytest

from curation.models import Citation
from curation.text import find_quote, fold_for_search
from tests.conftest import make_agreement, make_source

VIETNAMESE = "Bộ trưởng Nguyễn Mạnh Hùng đã ký Thỏa thuận hợp tác về tổ chức tuyển chọn dự án."


def test_exact_quote_is_found_where_it_stands():
    text = "Intro. The two sides signed it. End."
    start, end = find_quote(text, "The two sides signed it.")
    assert text[start:end] == "The two sides signed it."


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("the two sides\n   signed it", "the  two sides signed it"),
        ("He called it “a friend” – twice", 'He called it "a friend" - twice'),
        ('He called it "a friend" - twice', "He called it “a friend” — twice"),
        ("Russia’s partner", "Russia's partner"),
    ],
)
def test_whitespace_and_typography_are_ignored(text, quote):
    assert find_quote(text, quote) is not None


def test_missing_spaces_in_captured_web_text_still_match():
    assert (
        find_quote(
            "Vietnam and France signed 12 agreements,including in outer spacecooperation.",
            "including in outer space cooperation",
        )
        is not None
    )


def test_vietnamese_quote_matches_in_either_unicode_normal_form():
    decomposed_text = unicodedata.normalize("NFD", VIETNAMESE)
    composed_quote = unicodedata.normalize("NFC", "Thỏa thuận hợp tác về tổ chức")
    span = find_quote(decomposed_text, composed_quote)
    assert span is not None
    assert unicodedata.normalize("NFC", decomposed_text[span[0] : span[1]]) == composed_quote


def test_a_changed_word_or_missing_diacritic_is_not_found():
    assert find_quote(VIETNAMESE, "Thoa thuan hop tac") is None
    assert find_quote("The two sides signed it.", "The three sides signed it.") is None
    assert find_quote("The two sides signed it.", "the two sides signed it.") is None
    assert find_quote("anything", "   ") is None


def test_search_folding_drops_case_and_diacritics():
    assert fold_for_search("Việt - Nga ĐỔI MỚI") == "viet - nga doi moi"


def test_citation_with_a_quote_not_in_its_source_is_saved_and_flagged(alice):
    agreement = make_agreement(alice, covered=False)
    citation = Citation.objects.create(
        agreement=agreement,
        source=make_source(),
        quote="Words the article never says.",
        supports=["title"],
    )
    citation.refresh_from_db()
    assert citation.pk and citation.quote_found is False


def test_fixing_the_source_text_rechecks_its_citations(alice):
    source = make_source("Nothing relevant yet.")
    agreement = make_agreement(alice, covered=False)
    citation = Citation.objects.create(
        agreement=agreement, source=source, quote="signed the deal", supports=["title"]
    )
    assert not citation.quote_found
    source.captured_text = "Later capture: the ministers signed the deal."
    source.save()
    citation.refresh_from_db()
    assert citation.quote_found
    assert source.captured_text[citation.quote_start : citation.quote_end] == "signed the deal"


def test_source_keeps_a_hash_of_its_captured_text(db):
    import hashlib

    source = make_source("Some text ✓")
    assert source.text_sha256 == hashlib.sha256("Some text ✓".encode()).hexdigest()
    assert source.captured_at is not None


def test_quote_from_a_non_english_source_needs_a_translation(alice):
    from django.core.exceptions import ValidationError

    citation = Citation(
        agreement=make_agreement(alice, covered=False),
        quote="Thỏa thuận hợp tác",
        source=make_source(VIETNAMESE, language="vi"),
        supports=["title"],
    )
    with pytest.raises(ValidationError) as error:
        citation.full_clean()
    assert "translation" in error.value.message_dict


def test_an_inferred_value_must_say_how(alice):
    from django.core.exceptions import ValidationError

    citation = Citation(
        agreement=make_agreement(alice, covered=False),
        quote="x",
        source=make_source(),
        supports=["date_signed"],
        is_inferred=True,
    )
    with pytest.raises(ValidationError) as error:
        citation.full_clean()
    assert "inference" in error.value.message_dict
