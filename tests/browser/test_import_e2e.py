"""An editor imports a sheet in the admin: upload, preview, tick an organization, confirm."""

from curation.accounts import ensure_user
from curation.models import Agreement, Organization, Status
from curation.roles import EDITORS
from tests.browser.test_curation_e2e import log_in
from tests.conftest import make_organization

SHEET = (
    "title_en,kind,date_signed,parties\n"
    "Agreement on marine science,Memorandum of understanding,2019-3,"
    "Vietnam (signatory); Ocean Institute (signatory)\n"
)


def test_editor_uploads_previews_ticks_and_confirms(
    transactional_db, live_server, new_page, screenshot
):
    editor = ensure_user("alice", [EDITORS])
    editor.set_password("alice-password-1")
    editor.save()
    make_organization("Vietnam", country="VN")

    page = new_page(1366, 900)
    log_in(page, live_server, "alice", "alice-password-1")
    page.goto(f"{live_server.url}/admin/curation/agreement/")
    page.click("a.import_link")
    page.set_input_files(
        "#id_import_file",
        files=[{"name": "marine.csv", "mimeType": "text/csv", "buffer": SHEET.encode()}],
    )
    page.select_option("#id_format", label="csv")
    page.click("input[type=submit]")
    page.wait_for_selector("#unknown-organizations")
    assert page.locator("#count-invalid").inner_text() == "1"
    assert page.locator("input[value='Confirm import']").count() == 0

    row = page.locator("#unknown-organizations tr", has_text="Ocean Institute")
    row.locator("input[type=checkbox]").check()
    row.locator("select").select_option("research_institute")
    row.locator("input[name^=country]").fill("fr")
    page.click("#unknown-organizations input[type=submit]")
    page.wait_for_selector("#confirm-import")
    assert page.locator("#count-new").inner_text() == "1"
    assert "2019-03 (March 2019)" in page.locator("#import-rows").inner_text()
    screenshot(page, "import-preview-desktop")
    narrow = new_page(375, 800)
    narrow.context.add_cookies(page.context.cookies())
    assert not Agreement.objects.exists()

    page.click("input[value='Confirm import']")
    page.wait_for_selector("#import-progress li.success")
    done = page.locator("#import-progress").inner_text()
    assert "Imported marine.csv: 1 new, 0 updated, 0 unchanged." in done
    assert "Ocean Institute (Research institute, FR)" in done
    screenshot(page, "import-done-desktop")
    assert Agreement.objects.get().status == Status.IN_REVIEW
    ocean = Organization.objects.get(name="Ocean Institute")
    assert (ocean.kind, ocean.country) == ("research_institute", "FR")

    narrow.goto(f"{live_server.url}/admin/curation/agreement/import/")
    screenshot(narrow, "import-form-mobile")

    page.goto(f"{live_server.url}/admin/curation/agreement/?q=marine")
    page.click("a.export_link")
    page.select_option("#id_format", label="xlsx")
    with page.expect_download() as download:
        page.click("input[type=submit]")
    assert download.value.suggested_filename.endswith(".xlsx")
    agreement = Agreement.objects.get()
    page.goto(f"{live_server.url}/admin/curation/agreement/{agreement.pk}/history/")
    screenshot(page, "agreement-history-desktop")  # the page's CSP is checked by new_page
