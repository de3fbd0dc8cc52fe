"""A reader finds, checks and downloads records on the public site, in English and Vietnamese."""

import csv
import io

from django.core.management import call_command

from curation.models import Agreement, Project


def test_reader_searches_filters_checks_a_quote_downloads_and_switches_language(
    transactional_db, live_server, new_page, screenshot
):
    call_command("loaddata", "seed", verbosity=0)
    page = new_page()
    page.goto(f"{live_server.url}/agreements/")

    page.fill("#id_q", "thoa thuan nang luong nguyen tu")
    page.click("button:has-text('Apply')")
    rosatom = Agreement.objects.get(title_original__contains="năng lượng nguyên tử")
    assert page.locator("table.records tbody tr").count() == 1
    assert rosatom.reference in page.locator("table.records").inner_text()

    page.goto(f"{live_server.url}/agreements/")
    page.check("input[name=country][value=RU]")
    page.check("input[name=country][value=VN]")
    page.check("input[name=match][value=all]")
    page.click("button:has-text('Apply')")
    assert "match=all" in page.url
    soviet_era = Agreement.objects.get(date_signed="1959-03-07")
    page.click(f"a[href='{soviet_era.get_absolute_url()}']")
    assert "March 7, 1959" in page.content()

    page.click("section#evidence a, section[aria-labelledby=evidence] a >> nth=0")
    assert "#quote-" in page.url
    highlighted = page.locator("mark:target")
    assert "signed of a scientific and technical cooperation agreement" in highlighted.inner_text()
    screenshot(page, "source-highlight-desktop")

    page.goto(f"{live_server.url}/agreements/?country=CU")
    with page.expect_download() as waiting:
        page.click("text=CSV")
    path = waiting.value.path()
    rows = list(csv.DictReader(io.StringIO(open(path, encoding="utf-8-sig").read())))
    assert {row["reference"] for row in rows} == set(
        Agreement.objects.public().in_countries(["CU"]).values_list("reference", flat=True)
    )

    page.click("a[hreflang=vi]")
    assert page.url.endswith("/vi/agreements/?country=CU")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert "Thỏa thuận" in page.locator("h1").inner_text()
    screenshot(page, "agreements-vietnamese-desktop")

    phone = new_page(width=390, height=844)
    phone.goto(f"{live_server.url}/agreements/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    screenshot(phone, "agreements-phone")
    phone.goto(f"{live_server.url}/")
    screenshot(phone, "home-phone")


def test_the_main_pages_fit_a_laptop_and_a_phone_without_scrolling_sideways(
    transactional_db, live_server, new_page, screenshot
):
    """At 1366 and 375 px wide, in both languages: no page is wider than the screen (a long
    title, a checksum, a table), and on a phone a list shows its results first. Screenshots
    of each page at each width are kept in test-artifacts/."""
    call_command("loaddata", "seed", verbosity=0)
    agreement = Agreement.objects.public().filter(relations__isnull=False).first()
    project = Project.objects.public().first()
    source = agreement.citations.first().source
    pages = {
        "home": "/",
        "agreements": "/agreements/",
        "projects-vi": "/vi/projects/",
        "agreement": agreement.get_absolute_url(),
        "project": project.get_absolute_url(),
        "organization": agreement.organizations()[0].get_absolute_url(),
        "source": source.get_absolute_url(),
    }
    for width in (1366, 375):
        page = new_page(width=width, height=900)
        for name, path in pages.items():
            page.goto(f"{live_server.url}{path}")
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{path} is {wide} px wide at {width} px"
            screenshot(page, f"{name}-{width}")
        page.goto(f"{live_server.url}/agreements/")
        results = page.locator("#results").bounding_box()["y"]
        filters = page.locator("#filters").bounding_box()["y"]
        assert (results < filters) is (width == 375)


def test_the_public_pages_pass_axe_core_at_both_widths(
    transactional_db, live_server, new_page, accessibility_violations
):
    """axe-core finds no serious or critical WCAG 2.1 AA violation on the home, list, detail
    and source pages, in English and Vietnamese, on a laptop and on a phone."""
    call_command("loaddata", "seed", verbosity=0)
    agreement = Agreement.objects.public().filter(relations__isnull=False).first()
    source = agreement.citations.first().source
    pages = [
        "/",
        "/agreements/",
        "/agreements/?q=nuclear&country=RU",
        "/vi/projects/",
        agreement.get_absolute_url(),
        Project.objects.public().first().get_absolute_url(),
        agreement.organizations()[0].get_absolute_url(),
        source.get_absolute_url(),
    ]
    found = {}
    for width in (1366, 375):
        page = new_page(width=width, height=900)
        for path in pages:
            page.goto(f"{live_server.url}{path}")
            violations = accessibility_violations(page)
            if violations:
                found[f"{path} at {width} px"] = violations
    assert not found, found
