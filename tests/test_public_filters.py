"""Readers filter and search the public lists; the URL parameters are a shared contract."""

import pytest
from django.urls import reverse

from curation.models import Agreement

LIST = reverse("curation:agreement-list")


def references(client, **params) -> list[str]:
    response = client.get(LIST, params)
    assert response.status_code == 200
    return [record.reference for record in response.context["records"]]


def reference_of(**lookup) -> str:
    return Agreement.objects.get(**lookup).reference


def test_search_ignores_diacritics_and_case(client, seed):
    found = references(client, q="thoa thuan hop tac ve su dung nang luong")
    assert found == [reference_of(title_original__startswith="Thỏa thuận hợp tác về sử dụng")]
    assert references(client, q="ROSATOM") == found


def test_search_finds_party_acronyms_and_original_names(client, seed):
    assert reference_of(date_signed="1959-03-07") in references(client, q="ussr")
    assert reference_of(date_signed="2025-11-20") in references(client, q="bo cong thuong")


def test_country_includes_predecessor_states(client, seed):
    russia = references(client, country="RU")
    assert reference_of(date_signed="1959-03-07") in russia
    assert reference_of(date_signed="2014-11") in russia
    assert reference_of(kind="cooperation_agreement", title_en__contains="Cuba") not in russia


def test_match_all_needs_every_chosen_country(client, seed):
    any_of = references(client, country=["RU", "CU"])
    all_of = references(client, country=["RU", "CU"], match="all")
    assert set(references(client, country="CU")) < set(any_of)
    assert all_of == []
    assert set(references(client, country=["RU", "VN"], match="all")) == set(
        references(client, country="RU")
    )


def test_field_kind_and_year_range(client, seed):
    nuclear = references(client, field="nuclear-energy")
    assert reference_of(date_signed="2011-11-21") in nuclear
    assert all(r in nuclear for r in references(client, field="nuclear-energy", year_min=2025))
    assert references(client, kind="strategic_partnership") == [reference_of(date_signed="2014-11")]
    old = references(client, year_min=1950, year_max=2000)
    assert set(old) == {reference_of(date_signed="1959-03-07"), reference_of(date_signed="2000-11")}
    assert references(client, year_min=2014, year_max=2014) == [reference_of(date_signed="2014-11")]


def test_sorting_by_date_and_title(client, seed):
    oldest_first = references(client, sort="date")
    assert oldest_first[0] == reference_of(date_signed="1959-03-07")
    titles = [Agreement.objects.get(reference=r).title_en for r in references(client, sort="title")]
    assert titles == sorted(titles)


@pytest.mark.parametrize(
    "params",
    [
        {"country": "XX"},
        {"year_min": "nineteen"},
        {"year_max": "99999999999999999999"},
        {"kind": "<script>alert(1)</script>"},
        {"sort": "password"},
        {"field": "' OR 1=1 --"},
        {"match": "some"},
        {"page": "zz"},
        {"page": "999"},
        {"q": "x" * 5000},
        {"format": "xlsx"},
    ],
)
def test_malformed_or_hostile_values_get_the_page_with_a_message(client, seed, params):
    response = client.get(LIST, params)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>alert(1)" not in page
    shown = response.context["notices"]
    assert shown, "a message should say what was ignored"


def test_an_ignored_parameter_keeps_the_other_filters(client, seed):
    assert references(client, country="CU", year_min="abc") == references(client, country="CU")


def test_facet_counts_are_shown_beside_each_choice(client, seed):
    page = client.get(LIST, {"country": "RU"}).content.decode()
    cuba = len(references(client, country="CU"))
    assert f'value="CU"> Cuba <span class="count">({cuba})</span>' in page
