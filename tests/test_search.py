"""Public search: the databases' own text indexes, accent-blind, word-order free, titles first."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from curation import services
from curation.models import Agreement, Status
from tests.conftest import make_agreement

LIST = reverse("curation:agreement-list")


def found(client, **params) -> list[str]:
    response = client.get(LIST, params)
    assert response.status_code == 200
    return [record.title_en for record in response.context["records"]]


@pytest.fixture
def three(alice):
    make_agreement(
        alice,
        status=Status.VERIFIED,
        title_en="Protocol on training",
        summary="Engineers trained for the nuclear plant.",
        date_signed="2020",
    )
    make_agreement(
        alice,
        status=Status.VERIFIED,
        title_en="Agreement on nuclear energy",
        title_original="Thỏa thuận hợp tác về năng lượng hạt nhân",
        original_language="vi",
        date_signed="2001",
    )
    make_agreement(alice, status=Status.VERIFIED, title_en="Space", date_signed="2024")
    for agreement in Agreement.objects.all():
        agreement.save()  # search text holds the summary and titles set above


def test_title_matches_come_first_then_the_newest(client, three):
    assert found(client, q="nuclear") == ["Agreement on nuclear energy", "Protocol on training"]
    assert found(client, q="nuclear", sort="-date") == [
        "Protocol on training",
        "Agreement on nuclear energy",
    ]


def test_title_matches_come_first_across_pages(client, alice, monkeypatch):
    from curation.views import AgreementList

    monkeypatch.setattr(AgreementList, "paginate_by", 2)
    for title, summary, year in [
        ("Nuclear plant T1", "", "2020"),
        ("Nuclear fuel T2", "", "2010"),
        ("Nuclear safety T3", "", "2000"),
        ("Summary S1", "Training for the nuclear plant.", "2024"),
        ("Summary S2", "Nuclear medicine.", "2001"),
        ("Space", "Satellites.", "2022"),
    ]:
        make_agreement(
            alice, status=Status.VERIFIED, title_en=title, summary=summary, date_signed=year
        )
    for agreement in Agreement.objects.all():
        agreement.save()  # search text holds the summaries set above
    pages = [found(client, q="nuclear", page=page) for page in (1, 2, 3)]
    assert pages == [
        ["Nuclear plant T1", "Nuclear fuel T2"],
        ["Nuclear safety T3", "Summary S1"],
        ["Summary S2"],
    ]
    assert client.get(LIST, {"q": "nuclear"}).context["paginator"].num_pages == 3
    newest = ["Summary S1", "Nuclear plant T1", "Nuclear fuel T2", "Summary S2"]
    assert sum((found(client, q="nuclear", sort="-date", page=p) for p in (1, 2)), []) == newest


def first_sort_choice(client, **params) -> str:
    """The sort the form shows: the first option of its select when none is chosen."""
    page = client.get(LIST, params).content.decode()
    select = page[page.index('name="sort"') :]
    return re.search(r"<option[^>]*>([^<]+)</option>", select).group(1)


def test_the_form_says_which_order_the_list_is_in(client, three):
    assert first_sort_choice(client, q="nuclear") == "Best match first"
    assert found(client, q="nuclear", sort="relevance") == found(client, q="nuclear")
    assert first_sort_choice(client) == "Newest first"
    assert first_sort_choice(client, q="nuclear", sort="date") != "Best match first"


def test_words_in_any_order_without_accents_and_inside_words(client, three):
    assert found(client, q="hat nhan THOA thuan") == ["Agreement on nuclear energy"]
    assert found(client, q="Thỏa thuận") == ["Agreement on nuclear energy"]
    assert found(client, q="nucl ener") == ["Agreement on nuclear energy"]  # word beginnings
    assert found(client, q="uclea") == ["Agreement on nuclear energy", "Protocol on training"]
    assert found(client, q="on nuclear") == ["Agreement on nuclear energy", "Protocol on training"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"', []),
        ('"nuclear', []),
        ("nuclear OR space", []),  # every word must be found, and "space" is not with "nuclear"
        ("NEAR(nuclear space)", []),
        ("nucl*", []),
        ("%", []),
        ("_", []),
        ("a'b", []),
        ("agr-", ["Space", "Protocol on training", "Agreement on nuclear energy"]),
    ],
)
def test_query_syntax_is_read_as_text(client, three, query, expected):
    """Quotes, operators and wildcards are characters to find, not a query language."""
    assert found(client, q=query) == expected


def test_the_index_follows_edits_deletes_and_imports(client, alice, rita):
    record = make_agreement(alice, title_en="Agreement on geology")
    services.verify_record(record, by=rita)
    assert found(client, q="geology") == ["Agreement on geology"]
    record.refresh_from_db()
    record.title_en = "Agreement on oceanography"
    services.save_record(record, by=alice)
    services.verify_record(record, by=rita)
    assert found(client, q="geology") == []
    assert found(client, q="oceanography") == ["Agreement on oceanography"]
    Agreement.objects.filter(pk=record.pk).delete()
    assert found(client, q="oceanography") == []


def in_sqlite_index(word: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM curation_agreement_search WHERE curation_agreement_search MATCH %s",
            [f'"{word}"'],
        )
        return [row[0] for row in cursor.fetchall()]


def test_only_verified_records_are_indexed_and_the_admin_finds_the_others(
    client, admin_client, alice, rita
):
    def in_admin(query: str) -> list[str]:
        response = admin_client.get(reverse("admin:curation_agreement_changelist"), {"q": query})
        return [record.title_en for record in response.context["cl"].result_list]

    record = make_agreement(alice, title_en="Agreement on geology")
    assert (found(client, q="geolog"), in_admin("geolog")) == ([], ["Agreement on geology"])
    services.verify_record(record, by=rita)
    assert found(client, q="geolog") == in_admin("geolog") == ["Agreement on geology"]
    record.refresh_from_db()
    record.title_en = "Agreement on seismology"
    services.save_record(record, by=alice)  # back to review
    assert (found(client, q="seismolog"), in_admin("seismolog")) == ([], [record.title_en])
    assert in_admin("geolog") == []
    if connection.vendor == "sqlite":
        assert in_sqlite_index("seismolog") == in_sqlite_index("geolog") == []
        services.verify_record(record, by=rita)
        assert in_sqlite_index("seismolog") == [record.pk]


def test_migrate_creates_the_text_index():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE name LIKE '%\\_search' ESCAPE '\\'"
            )
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%\\_search'")
        names = {row[0] for row in cursor.fetchall()}
    assert {"curation_agreement_search", "curation_project_search"} <= names
    if connection.vendor == "postgresql":  # of the verified records: those the public finds
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname LIKE '%\\_search'")
            assert all("WHERE" in row[0] and "verified" in row[0] for row in cursor.fetchall())


pytestmark = pytest.mark.django_db
