"""An import's history says what it changed, and only that, in words a curator reads."""

import re

from curation import services
from curation.models import Agreement
from curation.spreadsheets import importing
from tests.spreadsheets import exported, planned

WORKFLOW = {"status", "last_edited_by", "verified_by", "verified_at", "version"}


def edit(sheet: bytes, column: str, value: str) -> bytes:
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(sheet.decode("utf-8-sig"))))
    rows[0][column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def changes(record) -> list[tuple[str, object, object]]:
    newer, older = record.history.all()[:2]
    return [(c.field, c.old, c.new) for c in newer.diff_against(older).changes]


def test_an_import_that_changes_the_place_records_only_the_place(seed, alice, rita):
    agreement = Agreement.objects.filter(fields__isnull=False).order_by("reference").first()
    sheet = exported(Agreement, "csv", Agreement.objects.filter(pk=agreement.pk))
    plan = planned(Agreement, edit(sheet, "place", "Moscow"), "csv")
    importing.apply(plan, by=alice, filename="s.csv")
    agreement.refresh_from_db()
    content = [(field, new) for field, _, new in changes(agreement) if field not in WORKFLOW]
    assert content == [("place", "Moscow")]  # the fields of cooperation did not "go"
    services.verify_record(agreement, by=rita)
    assert not [field for field, _, _ in changes(agreement) if field not in WORKFLOW]


def test_new_imported_records_have_their_fields_in_history(seed, alice):
    sheet = b"title_en,kind,parties,fields\nHistoried,Contract,Vietnam (signatory),Energy\n"
    importing.apply(planned(Agreement, sheet, "csv"), by=alice, filename="s.csv")
    version = Agreement.objects.get(title_en="Historied").history.get()
    assert [f.fieldofcooperation.name for f in version.fields.all()] == ["Energy"]


def test_the_history_page_shows_labels_not_codes(client, alice, rita):
    from tests.conftest import make_agreement

    agreement = make_agreement(alice)
    services.verify_record(agreement, by=rita)
    client.force_login(rita)
    page = client.get(f"/admin/curation/agreement/{agreement.pk}/history/").content.decode()
    assert "&nbsp;&rarr;&nbsp;&nbsp;Verified" in page  # the status's label, not its code
    assert "&nbsp;&rarr;&nbsp;&nbsp;verified" not in page
    assert "/admin/auth/user/" not in page  # who changed it: a name, not a link
    # no value reads as a dash: not "None", not "Deleted user (pk=None)"
    changes = " ".join(page.split())
    assert "<strong>Verified by:</strong> — &nbsp;&rarr;" in changes
    assert "<strong>Verified at:</strong> — &nbsp;&rarr;" in changes
    assert "pk=None" not in changes and "None &nbsp;" not in changes
    assert "{#" not in page  # a template comment is not shown as text
    assert not re.search(r"\b(Jan|Feb|Aug|Sept|Oct|Nov|Dec)\. \d", page)  # one date style
