"""Organization, source, home and feed pages: lineage, highlighted quotes, only public data."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curation import charts
from curation.models import Agreement, Citation, Organization, Source, Status
from tests.conftest import make_agreement, make_organization, make_project, make_source

ALL_STATUSES = [Status.DRAFT, Status.IN_REVIEW, Status.VERIFIED, Status.RETRACTED]


def test_russia_shows_soviet_era_agreements_marked_as_such(client, seed):
    russia = Organization.objects.get(name="Russia")
    page = client.get(russia.get_absolute_url()).content.decode()
    soviet_era = Agreement.objects.get(date_signed="1959-03-07")
    assert soviet_era.get_absolute_url() in page
    assert "as Soviet Union" in page


def test_source_page_highlights_quotes_and_links_them_back(client, seed):
    source = Source.objects.get(language="vi")
    page = client.get(source.get_absolute_url()).content.decode()
    citation = Citation.objects.filter(source=source, agreement__status=Status.VERIFIED).first()
    assert f'id="quote-{citation.pk}"' in page
    assert citation.agreement.get_absolute_url() in page
    assert page.count("<mark") >= 5


def test_source_page_shows_no_quote_of_an_unverified_record(client, alice):
    source = make_source("Public words here. Secret draft words here.")
    public = make_agreement(alice, status=Status.VERIFIED)
    draft = make_agreement(alice, status=Status.DRAFT, title_en="Draft agreement")
    Citation.objects.create(agreement=public, source=source, quote="Public words here.")
    Citation.objects.create(agreement=draft, source=source, quote="Secret draft words here.")
    page = client.get(source.get_absolute_url()).content.decode()
    assert "<mark" in page and page.count("<mark") == 1
    assert draft.reference not in page


def test_source_cited_only_by_unverified_records_is_not_public(client, alice):
    draft = make_agreement(alice, status=Status.IN_REVIEW)
    assert client.get(draft.citations.get().source.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_every_public_page_and_the_feed_show_only_verified_records(client, alice, rita, status):
    organization = make_organization("Partner state", country="FR")
    record = make_agreement(alice, status=Status.IN_REVIEW, title_en=f"Record {status}")
    record.party_links.create(organization=organization)
    project = make_project(alice, status=Status.IN_REVIEW, title_en=f"Project {status}")
    for item in (record, project):
        if status == Status.VERIFIED:
            from curation import services

            services.verify_record(item, by=rita)
        else:
            type(item).objects.filter(pk=item.pk).update(status=status)
    pages = [
        reverse("curation:home"),
        reverse("curation:agreement-list"),
        reverse("curation:project-list"),
        reverse("curation:feed"),
        organization.get_absolute_url(),
    ]
    body = "".join(client.get(url).content.decode() for url in pages)
    visible = status == Status.VERIFIED
    assert (record.title_en in body) == visible
    assert (project.title_en in body) == visible


def test_feed_lists_newly_verified_records(client, alice, rita):
    from curation import services

    agreement = make_agreement(alice, title_en="Freshly verified")
    services.verify_record(agreement, by=rita)
    feed = client.get(reverse("curation:feed"))
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert b"Freshly verified" in feed.content


def test_home_counts_by_country_and_draws_a_chart_without_javascript(client, seed):
    page = client.get(reverse("curation:home")).content.decode()
    assert "<svg" in page and "<rect" in page and "<script" not in page
    with_russia = Agreement.objects.public().in_countries(["RU"]).count()  # the 1959 one too
    assert with_russia > 5
    assert f'?country=RU">Russia</a> <span class="count">{with_russia}</span>' in page


def test_the_charts_bar_labels_escape_a_partners_name(client, alice):
    state = make_organization("<b>Zed</b> & Co", country="XZ")  # no ISO name: the state's own
    agreement = make_agreement(alice, status=Status.VERIFIED, date_signed="2001")
    agreement.party_links.create(organization=state)
    page = client.get(reverse("curation:home")).content.decode()
    assert "<title>2001: &lt;b&gt;Zed&lt;/b&gt; &amp; Co, 1</title>" in page
    assert "<b>Zed</b>" not in page


@pytest.mark.parametrize("language", ["", "/vi"])
def test_the_chart_is_drawn_with_plain_numbers_in_every_language(client, seed, language):
    """Vietnamese writes 12,5 and 1.959: never inside an SVG coordinate or a year label."""
    page = client.get(f"{language}/").content.decode()
    coordinates = re.findall(r' (?:x|y|x1|y1|x2|y2|width|height)="([^"]*)"', page)
    assert coordinates and all(re.fullmatch(r"-?\d+(\.\d+)?", value) for value in coordinates)
    years = re.findall(r'<text class="axis"[^>]*text-anchor="middle">([^<]*)<', page)
    assert years and all(re.fullmatch(r"\d{4}", year) for year in years)
    assert '<th scope="row">1959</th>' in page


def test_the_chart_gives_its_numbers_and_legible_axes_at_both_widths():
    rows = [("1995", "RU", 2), ("1995", "VN", 2), ("2010", "FR", 1), ("2010", "CU", 3)]
    names = {"RU": "Russia", "FR": "France", "CU": "Cuba"}
    chart = charts.agreements_per_year(rows, names, top=2)

    assert chart["legend"] == [
        ("Cuba", charts.PALETTE[0], 3),
        ("Russia", charts.PALETTE[1], 2),
        ("other partners", charts.PALETTE[-1], 1),
    ]
    assert chart["table"]["rows"] == [(1995, [0, 2, 0], 2), (2010, [3, 0, 1], 4)]
    wide, narrow = chart["frames"]
    assert (wide["name"], narrow["name"]) == ("wide", "narrow")
    for frame in chart["frames"]:
        years = [tick.label for tick in frame["year_ticks"]]
        assert 2 <= len(years) <= (10 if frame is wide else 4)
        assert all(1995 <= year <= 2010 for year in years)
        assert all(frame["left"] <= tick.position <= frame["right"] for tick in frame["year_ticks"])
        assert [tick.label for tick in frame["count_ticks"]] == [0, 2, 4]
        tallest = min(bar.y for bar in frame["bars"])
        assert tallest == frame["count_ticks"][-1].position  # the 4 of 2010 reaches the top tick


@pytest.mark.parametrize(
    "url_of",
    [
        lambda record, org, source: reverse("curation:home"),
        lambda record, org, source: record.get_absolute_url(),
        lambda record, org, source: org.get_absolute_url(),
        lambda record, org, source: source.get_absolute_url(),
        lambda record, org, source: reverse("curation:feed"),
        lambda record, org, source: reverse("curation:agreement-list") + "?country=VN",
    ],
)
def test_pages_run_a_fixed_number_of_queries(client, alice, url_of):
    organization = make_organization("Vietnam", country="VN")
    source = make_source()

    def add_record():
        record = make_agreement(alice, status=Status.VERIFIED, date_signed="2011")
        record.party_links.create(organization=organization)
        Citation.objects.create(agreement=record, source=source, quote="signed a cooperation")
        return record

    first = add_record()
    url = url_of(first, organization, source)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = count()
    for _ in range(6):
        add_record()
    assert count() == few


def test_vietnamese_interface_shows_vietnamese_titles(client, seed):
    english = client.get(reverse("curation:agreement-list")).content.decode()
    assert 'href="/vi/agreements/"' in english
    page = client.get("/vi/agreements/").content.decode()
    assert '<html lang="vi">' in page
    assert "Thỏa thuận hợp tác về sử dụng năng lượng nguyên tử vì mục đích hòa bình" in page
    assert ">Dự án</a>" in page and "Tìm kiếm" in page  # the interface, not only the data
    assert 'href="/agreements/"' in page  # and back to English


def test_the_detail_page_gives_each_title_once(client, alice):
    from curation.models import Status
    from tests.conftest import make_agreement

    agreement = make_agreement(
        alice,
        status=Status.VERIFIED,
        title_en="Agreement on nuclear science",
        title_original="Hiệp định về khoa học hạt nhân",
        original_language="vi",
    )
    for prefix in ("", "/vi"):
        page = client.get(prefix + agreement.get_absolute_url()).content.decode()
        main = page[page.index("<main") : page.index("</main>")]
        assert main.count("Agreement on nuclear science") == 1, prefix
        assert main.count("Hiệp định về khoa học hạt nhân") == 1, prefix


def test_a_list_row_names_its_sources_and_the_title_in_the_other_language(client, alice):
    from curation.models import Status
    from tests.conftest import make_agreement

    make_agreement(
        alice,
        status=Status.VERIFIED,
        title_en="Agreement on cooperation",
        title_original="Thỏa thuận hợp tác",
        original_language="vi",
    )
    page = client.get("/agreements/?q=hop+tac").content.decode()
    assert "Agreement on cooperation" in page and "Thỏa thuận hợp tác" in page
    assert "1 source" in page
    assert "1 nguồn" in client.get("/vi/agreements/?q=hop+tac").content.decode()


@pytest.mark.parametrize("make_record", [make_agreement, make_project])
def test_a_list_row_links_its_page_names_its_organizations_and_counts_each_source_once(
    client, alice, make_record
):
    record = make_record(alice, status=Status.VERIFIED)
    first = record.organizations()[0]
    getattr(record, record.LINKS).create(
        organization=make_organization("Science & <Technology>", acronym="S&T")
    )
    cited = record.citations.get().source
    record.citations.create(source=cited, quote="A second quote from the same source.")
    record.citations.create(source=make_source(), quote="A quote from another source.")

    page = client.get(reverse(f"curation:{record._meta.model_name}-list")).content.decode()
    row = re.search(rf"<tr>\s*<td class=\"ref\">{record.reference}</td>.*?</tr>", page, re.S)
    assert f'<a href="{record.get_absolute_url()}">{record.title_en}</a>' in row[0]
    parties = f"{first.name}; Science &amp; &lt;Technology&gt; (S&amp;T)"
    assert f'<td class="parties">{parties}</td>' in row[0]
    assert '<td class="sources">2 sources</td>' in row[0]
