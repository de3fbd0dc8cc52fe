"""An editor records an agreement with its evidence, a reviewer verifies it, the public reads it."""

from curation.accounts import ensure_user
from curation.models import Agreement, Status
from curation.roles import EDITORS, REVIEWERS
from tests.conftest import AGREEMENT_QUOTE, make_organization, make_source


def log_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


def choose(page, container: str, typed: str, option: str) -> None:
    """Pick a value in the admin's autocomplete (select2) widget inside container."""
    page.locator(f"{container} .select2-selection").first.click()
    page.locator(".select2-search__field").last.fill(typed)
    page.locator(".select2-results__option", has_text=option).first.click()


def run_action(page, live_server, action: str, reference: str) -> str:
    page.goto(f"{live_server.url}/admin/curation/agreement/")
    row = page.locator("#result_list tr", has_text=reference)
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")
    return page.locator("ul.messagelist").inner_text()


def test_editor_records_reviewer_verifies_public_reads(
    transactional_db, live_server, new_page, screenshot
):
    for name, group in [("alice", EDITORS), ("rita", REVIEWERS)]:
        user = ensure_user(name, [group])
        user.set_password(f"{name}-password-1")
        user.save()
    make_organization("Vietnam", name_original="Việt Nam", country="VN")
    make_source(title="Vietnam-Russia cooperation article")

    editor = new_page()
    log_in(editor, live_server, "alice", "alice-password-1")
    editor.goto(f"{live_server.url}/admin/curation/agreement/add/")
    editor.fill("#id_title_en", "Agreement on building the nuclear centre")
    editor.select_option("#id_kind", "intergovernmental_agreement")
    editor.fill("#id_date_signed", "2011-11-21")
    choose(editor, "#party_links-0", "viet nam", "Vietnam")
    choose(editor, "#citations-0", "vietnam-russia", "Vietnam-Russia cooperation article")
    editor.fill("#id_citations-0-quote", AGREEMENT_QUOTE)
    for field in ("title", "date_signed", "parties"):
        editor.check(f"input[name='citations-0-supports'][value='{field}']")
    editor.click("input[name=_save]")
    editor.wait_for_selector("ul.messagelist")
    agreement = Agreement.objects.get()
    assert agreement.citations.get().quote_found
    assert "submitted for review" in run_action(
        editor, live_server, "submit_for_review", agreement.reference
    )
    offered = editor.locator("select[name=action] option").all_inner_texts()
    assert not any("Verify" in option for option in offered)  # not offered to an editor

    reviewer = new_page()
    log_in(reviewer, live_server, "rita", "rita-password-1")
    assert "1 agreement verified." in run_action(
        reviewer, live_server, "verify", agreement.reference
    )
    assert Agreement.objects.get().status == Status.VERIFIED
    reviewer.goto(f"{live_server.url}/admin/curation/agreement/{agreement.pk}/change/")
    assert "on the public site" in reviewer.locator("#record-state").inner_text()
    screenshot(reviewer, "agreement-change-form-desktop")

    reader = new_page()
    reader.goto(f"{live_server.url}/agreements/")
    reader.click("text=Agreement on building the nuclear centre")
    assert "November 21, 2011" in reader.content()
    assert (
        reader.locator("blockquote", has_text="the Governments of Vietnam and Russia").count() == 1
    )
    screenshot(reader, "agreement-detail-desktop")


def test_record_lists_and_forms_fit_a_laptop_screen(
    transactional_db, live_server, new_page, screenshot
):
    """At 1366 px every column of each record list is on screen, with no sideways scroll in
    the list, and a long title does not run under the History and View on site buttons."""
    from django.core.management import call_command

    call_command("loaddata", "seed", verbosity=0)
    editor = ensure_user("alice", [EDITORS])
    editor.set_password("alice-password-1")
    editor.save()
    page = new_page(width=1366, height=900)
    log_in(page, live_server, "alice", "alice-password-1")
    lists = ["agreement", "project", "citation", "organization", "source"]
    lists += ["agreement/?status__exact=in_review", "project/?status__exact=in_review"]
    for path in lists:
        page.goto(f"{live_server.url}/admin/curation/{path}")
        wide, shown = page.evaluate(
            "[document.querySelector('.results').scrollWidth,"
            " document.querySelector('.results').clientWidth]"
        )
        assert wide <= shown, f"the list {path} is {wide - shown} px too wide"
    screenshot(page, "admin-agreements-in-review-1366")

    longest = max(Agreement.objects.all(), key=lambda agreement: len(agreement.title_en))
    page.goto(f"{live_server.url}/admin/curation/agreement/{longest.pk}/change/")
    buttons = page.locator(".object-tools").bounding_box()
    text_right = page.evaluate(
        """() => { const range = document.createRange();
                   range.selectNodeContents(document.querySelector('#content > h2'));
                   return Math.max(...[...range.getClientRects()].map(r => r.right)); }"""
    )
    assert text_right <= buttons["x"], "the title runs under the History button"
    screenshot(page, "admin-agreement-change-form-1366")
