"""Bad files get a clear message and change nothing; hostile cells never run as formulas."""

import io
import pickle
import time
import unicodedata
import zipfile
from datetime import timedelta

import openpyxl
import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from curation.models import Agreement, ImportBatch, Organization
from curation.resources import RESOURCES
from curation.rules import as_stored
from curation.spreadsheets import importing
from curation.spreadsheets.formats import SpreadsheetError
from curation.spreadsheets.importing import read_table
from tests.conftest import make_agreement, make_organization
from tests.spreadsheets import approve, confirm, confirm_data, exported, upload

HEADER = "title_en,kind,date_signed,parties\n"


def cp1258(text: str) -> bytes:
    """As Windows-1258 stores Vietnamese: letters with ^, ˘ or horn whole, tone marks combining."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for char in unicodedata.normalize("NFD", text):
        if out and char not in tones and unicodedata.combining(char):
            out[-1] = unicodedata.normalize("NFC", out[-1][0] + char) + out[-1][1:]
        elif out and char in tones:
            out[-1] += char
        else:
            out.append(char)
    return "".join(out).encode("cp1258")


def plan_for(text: str, approved=()):
    return importing.plan(
        RESOURCES[Agreement], read_table(text.encode(), "sheet.csv"), set(approved)
    )


def table_counts() -> tuple:
    return (Agreement.objects.count(), Organization.objects.count(), Agreement.history.count())


# Encodings and separators, as Excel and LibreOffice write them.


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        ("title_en;kind\nThỏa thuận;Contract\n".encode("utf-8-sig"), None),
        ("title_en\tkind\nThỏa thuận\tContract\n".encode("utf-16"), None),
        ("title_en,kind\nThỏa thuận,Contract\n".encode(), None),
        (cp1258("title_en,kind\nThỏa thuận,Contract\n"), "cp1258"),
        (cp1258("title_en,kind\nThỏa thuận,Contract\n"), None),  # detected
    ],
)
def test_csv_in_excel_encodings_and_separators_reads_the_same(encoded, encoding):
    table = read_table(encoded, "sheet.csv", encoding)
    assert table.headers == ["title_en", "kind"]
    assert [as_stored(cells["title_en"]) for _, cells in table.rows] == ["Thỏa thuận"]


def test_a_file_that_is_not_in_the_chosen_code_page_is_refused_with_what_to_do():
    with pytest.raises(SpreadsheetError, match="Windows-1251"):
        read_table(b"title_en\n\x98\n", "sheet.csv", "cp1251")  # 0x98 is not in Windows-1251


def test_files_over_the_size_limit_are_refused(settings):
    settings.IMPORT_MAX_BYTES = 1000
    with pytest.raises(SpreadsheetError, match="limit is"):
        read_table(b"title_en\n" + b"x" * 2000, "sheet.csv")


def test_a_zip_bomb_is_refused_quickly(settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 10 * 2**20
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 2**20))
    started = time.monotonic()
    with pytest.raises(SpreadsheetError, match="zip bomb"):
        read_table(archive.getvalue(), "bomb.xlsx")
    assert time.monotonic() - started < 5


def test_xml_entity_expansion_is_refused():
    workbook = openpyxl.Workbook()
    workbook.active.append(["title_en"])
    plain = io.BytesIO()
    workbook.save(plain)
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    hostile = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(hostile, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, laughs if item.filename.endswith("sheet1.xml") else data)
    with pytest.raises(SpreadsheetError, match="declares XML entities or a document type"):
        read_table(hostile.getvalue(), "laughs.xlsx")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"not a zip", "sheet.xlsx", "not a valid XLSX"),
        (b"{oops", "sheet.json", "JSON file is malformed"),
        (b'{"a": 1}', "sheet.json", "list of objects"),
        (b"a,b\n1,2,3\n", "sheet.csv", "more cells than"),
        (b"\x00\x01\x02", "sheet.csv", "NUL bytes"),
        (b"title_en\n", "sheet.exe", "not a CSV, TSV, XLSX, ODS or JSON"),
        (b"not a zip", "sheet.ods", "not a valid ODS"),
        (b'[{"title_en": ["a", "b"]}]', "sheet.json", "not a list or an object"),
        (b"", "sheet.csv", "no header row"),
    ],
)
def test_malformed_files_get_a_message(data, name, message):
    with pytest.raises(SpreadsheetError, match=message):
        read_table(data, name)


# Cells: errors name the row, the column and the value.


def test_every_error_names_row_column_and_value(seed):
    plan = plan_for(
        HEADER + "Fine,Contract,2020,Vietnam\nBad,Contract,2025-02-30,Vietnam\n"
        "Worse,Spaceship,2020,Vietnam\n"
    )
    messages = [str(error) for error in plan.errors]
    assert any("Row 3" in m and "date_signed" in m and "2025-02-30" in m for m in messages)
    assert any("Row 4" in m and "kind" in m and "Spaceship" in m for m in messages)
    assert plan.counts["invalid"] == 2 and not plan.can_apply


def test_unknown_columns_are_named(seed):
    plan = plan_for("title_en,kind,colour\nX,Contract,red\n")
    assert plan.problems and "colour" in plan.problems[0]


def test_spellings_without_diacritics_find_the_organization(seed):
    plan = plan_for(HEADER + "New deal,Contract,2021,Viet Nam (signatory); VNVC (witness)\n")
    assert plan.counts["new"] == 1
    names = sorted(o.name for o, _ in plan.rows[0].values["party_links"])
    assert names == ["Vietnam", "Vietnam Vaccine Joint Stock Company"]


def test_a_misspelt_organization_is_not_silently_created(seed, alice):
    plan = plan_for(HEADER + "New deal,Contract,2021,Rusia (signatory)\n")
    assert plan.counts["invalid"] == 1
    assert "Russia" in plan.unknown_organizations["Rusia"]
    before = Organization.objects.count()
    with pytest.raises(ValueError):
        importing.apply(plan, by=alice, filename="x.csv")
    assert Organization.objects.count() == before
    approved = plan_for(HEADER + "New deal,Contract,2021,Rusia (signatory)\n", approved={"Rusia"})
    importing.apply(
        approved, by=alice, filename="x.csv", new_organizations={"Rusia": {"kind": "state"}}
    )
    assert Organization.objects.get(name="Rusia").kind == "state"


def test_the_preview_writes_nothing(seed):
    before = table_counts()
    plan = plan_for(HEADER + "A,Contract,2020,Vietnam\nB,Contract,2021,Brand New Org\n")
    assert plan.counts["new"] == 1 and plan.unknown_organizations
    assert table_counts() == before


def test_an_import_that_fails_on_its_last_row_changes_nothing(seed, alice, monkeypatch):
    before = table_counts()
    rows = "".join(f"Row {n},Contract,2020,Vietnam\n" for n in range(50))
    bad_last = plan_for(HEADER + rows + "Last,Contract,2020-13,Vietnam\n")
    assert bad_last.counts["invalid"] == 1
    with pytest.raises(ValueError):
        importing.apply(bad_last, by=alice, filename="x.csv")

    good = plan_for(HEADER + rows)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full while writing the last rows")

    monkeypatch.setattr(importing, "_replace_many", fail)  # after records and parties are written
    with pytest.raises(RuntimeError):
        importing.apply(good, by=alice, filename="x.csv")
    assert table_counts() == before


# Formula triggers are neutralised in exports and restored on import.

# (A leading tab or line break is not kept: text is stored without blank space around it.)
HOSTILE = ['=HYPERLINK("http://evil")', "+1+1", "-2", "@SUM(A1)", "'Quoted", "+\tTabbed"]


def test_exports_neutralise_formulas_and_the_import_restores_them(alice):
    for title in HOSTILE:
        make_agreement(alice, title_en=title)
    resource = RESOURCES[Agreement]
    data = exported(Agreement, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    titles = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(title.startswith("'") for title in titles)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    plan = importing.plan(resource, read_table(data, "x.xlsx"))
    assert plan.counts["unchanged"] == len(HOSTILE), plan.errors


# Who may import and export.


def test_curators_import_and_everyone_who_can_view_exports(client, alice, rita, django_user_model):
    url = reverse("admin:curation_agreement_import")
    for curator in (alice, rita):
        client.force_login(curator)
        assert client.get(url).status_code == 200
        assert client.get(reverse("admin:curation_agreement_export")).status_code == 200
    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_agreement"))
    client.force_login(viewer)
    assert client.get(url).status_code == 403
    assert client.get(reverse("admin:curation_agreement_export")).status_code == 200
    stranger = django_user_model.objects.create_user("stranger", is_staff=True)
    client.force_login(stranger)
    assert client.get(reverse("admin:curation_agreement_export")).status_code == 403


def test_the_admin_flow_upload_preview_tick_confirm(client, seed, alice):
    client.force_login(alice)
    sheet = HEADER + "Admin deal,Contract,2022-05,Vietnam (signatory); Neworg (witness)\n"
    preview = upload(client, sheet, "deal.csv")
    batch = ImportBatch.objects.get()
    assert bytes(batch.data).startswith(b"title_en") and batch.created_by == alice
    page = preview.content.decode()
    assert 'id="count-invalid">1<' in page and "Neworg" in page and "Confirm import" not in page
    preview = approve(client, preview, {"Neworg": ("company", "FR")})
    page = preview.content.decode()
    assert 'id="count-new">1<' in page and "Confirm import" in page
    assert "2022-05 (May 2022)" in page  # a new row shows how its date was read
    assert not Agreement.objects.filter(title_en="Admin deal").exists()
    done = confirm(client, confirm_data(preview))
    assert "Imported deal.csv: 1 new, 0 updated, 0 unchanged" in done
    assert "Neworg (Company, FR)" in done  # the created organization is named
    assert Agreement.objects.get(title_en="Admin deal").status == "in_review"
    neworg = Organization.objects.get(name="Neworg")
    assert (neworg.kind, neworg.country) == ("company", "FR")
    batch.refresh_from_db()
    assert batch.state == "applied" and batch.summary["new"] == 1
    assert bytes(batch.data) == b""  # the file is not kept once it is imported
    entry = LogEntry.objects.get(object_id=str(batch.pk))
    assert entry.user == alice and "1 new" in entry.change_message
    again = confirm(client, confirm_data(preview))
    assert "already imported or discarded" in again
    assert Agreement.objects.filter(title_en="Admin deal").count() == 1


def test_an_unreadable_upload_is_refused_with_its_reason(client, seed, alice):
    client.force_login(alice)
    page = upload(client, b"not a zip", "sheet.xlsx").content.decode()
    assert "not a valid XLSX workbook" in page
    assert ImportBatch.objects.get().state == "failed"


def test_an_upload_left_unconfirmed_too_long_is_discarded(client, seed, alice, settings):
    settings.IMPORT_KEEP_DAYS = 3
    client.force_login(alice)
    forgotten = upload(client, HEADER + "Old deal,Contract,2022-05,Vietnam (signatory)\n")
    ImportBatch.objects.update(created_at=timezone.now() - timedelta(days=4))
    recent = upload(client, HEADER + "New deal,Contract,2022-05,Vietnam (signatory)\n")
    old, new = ImportBatch.objects.order_by("pk")
    assert (old.state, bytes(old.data)) == ("failed", b"") and new.state == "previewed"
    assert "Not confirmed within 3 days; the file was discarded" in confirm(
        client, confirm_data(forgotten)
    )
    assert not Agreement.objects.filter(title_en="Old deal").exists()
    assert "1 new" in confirm(client, confirm_data(recent))


def test_another_editor_cannot_confirm_my_import(client, seed, alice, eve):
    client.force_login(alice)
    preview = upload(client, HEADER + "Alice deal,Contract,2022-05,Vietnam (signatory)\n")
    client.force_login(eve)
    assert "someone else" in confirm(client, confirm_data(preview))
    assert not Agreement.objects.filter(title_en="Alice deal").exists()


def test_a_forged_upload_name_is_refused(client, seed, alice):
    client.force_login(alice)
    preview = upload(client, HEADER + "Alice deal,Contract,2022-05,Vietnam (signatory)\n")
    forged = {**confirm_data(preview), "import_file_name": "1"}
    assert "unknown: upload the file again" in confirm(client, forged)


def test_confirm_applies_the_checked_preview_while_nothing_was_saved_since(
    client, seed, alice, monkeypatch
):
    client.force_login(alice)
    preview = upload(client, HEADER + "Kept deal,Contract,2022-05,Vietnam (signatory)\n")
    assert "Confirm import" in preview.content.decode()
    monkeypatch.setattr(importing, "plan", None)  # confirm must not check the sheet again
    assert "1 new" in confirm(client, confirm_data(preview))
    assert Agreement.objects.filter(title_en="Kept deal").count() == 1
    assert bytes(ImportBatch.objects.get().checked_plan) == b""  # dropped with the file


def test_a_save_after_the_preview_makes_confirm_check_the_sheet_again(
    client, seed, alice, monkeypatch
):
    client.force_login(alice)
    preview = upload(client, HEADER + "Rechecked deal,Contract,2022-05,Neworg (signatory)\n")
    preview = approve(client, preview, {"Neworg": ("company", "")})  # checked: to be created
    make_organization("Neworg")  # ... and then another editor adds it by hand
    checked = []
    original = importing.plan
    monkeypatch.setattr(importing, "plan", lambda *args: checked.append(1) or original(*args))
    assert "1 new" in confirm(client, confirm_data(preview))
    assert checked == [1]
    assert Organization.objects.filter(name="Neworg").count() == 1  # not created twice
    assert Agreement.objects.get(title_en="Rechecked deal").parties.get().name == "Neworg"


def test_a_kept_plan_that_was_tampered_with_is_never_unpickled(client, seed, alice, monkeypatch):
    client.force_login(alice)
    preview = upload(client, HEADER + "Signed deal,Contract,2022-05,Vietnam (signatory)\n")
    batch = ImportBatch.objects.get()
    kept = bytes(batch.checked_plan)
    assert importing.kept(RESOURCES[Agreement], kept) is not None
    forged = kept[:32] + pickle.dumps(["not what was signed"])
    ImportBatch.objects.update(checked_plan=forged)

    unpickled = []
    monkeypatch.setattr(importing.pickle, "loads", unpickled.append)
    assert "1 new" in confirm(client, confirm_data(preview))  # checked the sheet again instead
    assert unpickled == []


def test_a_plan_kept_uncompressed_by_an_earlier_version_is_checked_again(
    client, seed, alice, monkeypatch
):
    client.force_login(alice)
    preview = upload(client, HEADER + "Older deal,Contract,2022-05,Vietnam (signatory)\n")
    rows = importing.kept(RESOURCES[Agreement], ImportBatch.objects.get().checked_plan).rows
    older = pickle.dumps(rows)  # as the plan was kept before it was compressed: signed, plain
    ImportBatch.objects.update(checked_plan=importing._signature(older) + older)
    checked = []
    original = importing.plan
    monkeypatch.setattr(importing, "plan", lambda *args: checked.append(1) or original(*args))
    assert "1 new" in confirm(client, confirm_data(preview))
    assert checked == [1]
    assert Agreement.objects.filter(title_en="Older deal").count() == 1


def test_a_ticked_organization_with_a_bad_country_or_kind_is_refused_with_a_message(
    client, seed, alice
):
    client.force_login(alice)
    preview = upload(client, HEADER + "Ticked deal,Contract,2022-05,Neworg (signatory)\n")
    again = approve(client, preview, {"Neworg": ("company", "<b>")})
    page = again.content.decode()
    assert "“Neworg” was not ticked" in page and "ISO 3166" in page and "<b>" not in page
    assert 'id="count-invalid">1<' in page  # still unknown: nothing will be created
    again = approve(client, preview, {"Neworg": ("spaceship", "FR")})
    assert "“Neworg” was not ticked" in again.content.decode()
    assert not Organization.objects.filter(name="Neworg").exists()


def test_a_forged_format_gets_a_message_not_a_server_error(client, seed, alice):
    client.force_login(alice)
    preview = upload(client, HEADER + "Forged deal,Contract,2022-05,Vietnam (signatory)\n")
    assert "Nothing was imported" in confirm(client, {**confirm_data(preview), "format": "99"})
    assert not Agreement.objects.filter(title_en="Forged deal").exists()


def test_a_refusal_by_the_database_while_writing_is_said_and_nothing_is_written(
    client, seed, alice, monkeypatch
):
    """The bulk writer talks to the driver directly: what the database refuses must still
    reach the editor as Django's database error, so the confirm page says so, all is rolled
    back, and the batch is not confirmed again."""
    client.force_login(alice)
    taken = make_agreement(alice).reference  # the new row's reference is already used
    preview = upload(client, HEADER + "A second deal,Contract,2020,Vietnam (signatory)\n")
    before = Agreement.objects.count()
    monkeypatch.setattr(importing, "allocate_references", lambda model, count: [taken] * count)
    page = confirm(client, confirm_data(preview))
    assert "Nothing was imported: the database refused the data" in page
    assert Agreement.objects.count() == before
    assert ImportBatch.objects.get().state == ImportBatch.State.FAILED
