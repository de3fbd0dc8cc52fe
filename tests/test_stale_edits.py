"""No lost updates: a save made from an older copy is refused, in the admin and in imports."""

import csv
import io

import pytest
from django.urls import reverse

from curation import services
from curation.models import Agreement, Citation, Source
from curation.spreadsheets import importing
from tests.conftest import make_agreement
from tests.spreadsheets import exported, planned
from tests.test_admin_workflow import agreement_form, agreement_with_inlines_form


def change_page(client, obj):
    url = reverse(f"admin:curation_{obj._meta.model_name}_change", args=[obj.pk])
    response = client.get(url)
    assert response.status_code == 200
    loaded = response.context["adminform"].form["loaded_version"].value()
    # the browser must send it back: it is rendered in the page, not only in the form
    assert f'name="loaded_version" value="{loaded}"' in response.content.decode()
    return url, loaded


def form_errors(response) -> str:
    return " ".join(response.context["adminform"].form.non_field_errors())


def test_the_second_of_two_editors_is_refused_and_told_what_changed(client, alice, eve):
    agreement = make_agreement(alice)
    client.force_login(alice)
    url, alice_loaded = change_page(client, agreement)
    client.force_login(eve)
    _, eve_loaded = change_page(client, agreement)

    client.force_login(alice)
    saved = client.post(url, agreement_form(title_en="Alice's title", loaded_version=alice_loaded))
    assert saved.status_code == 302

    client.force_login(eve)
    refused = client.post(url, agreement_form(title_en="Eve's title", loaded_version=eve_loaded))
    assert refused.status_code == 200
    message = form_errors(refused)
    assert "someone else saved this agreement" in message
    assert "alice" in message and "Alice's title" in message
    assert refused.context["adminform"].form["title_en"].value() == "Eve's title"  # not lost
    agreement.refresh_from_db()
    assert agreement.title_en == "Alice's title"

    # Having read what changed, eve may still choose to save hers: the form now carries it.
    again = refused.context["adminform"].form["loaded_version"].value()
    assert (
        client.post(url, agreement_form(title_en="Eve's title", loaded_version=again)).status_code
        == 302
    )
    agreement.refresh_from_db()
    assert agreement.title_en == "Eve's title"


def test_a_workflow_step_in_between_also_makes_an_edit_stale(client, alice, rita, eve):
    agreement = make_agreement(alice)
    client.force_login(eve)
    url, loaded = change_page(client, agreement)
    services.verify_record(agreement, by=rita)
    refused = client.post(url, agreement_form(title_en="Late edit", loaded_version=loaded))
    assert refused.status_code == 200
    assert "Verified" in form_errors(refused)
    assert Agreement.objects.get(pk=agreement.pk).status == "verified"


def test_stale_source_and_citation_saves_are_refused(client, alice, eve):
    agreement = make_agreement(alice)
    source = Source.objects.get(pk=agreement.citations.get().source_id)
    citation = agreement.citations.get()
    for obj, field, data in [
        (
            source,
            "notes",
            {
                "title": source.title,
                "captured_text": source.captured_text,
                "kind": source.kind,
                "language": source.language,
                "captured_at_0": "2025-01-01",
                "captured_at_1": "00:00:00",
            },
        ),
        (
            citation,
            "locator",
            {
                "source": citation.source_id,
                "agreement": agreement.pk,
                "quote": citation.quote,
                "supports": citation.supports,
            },
        ),
    ]:
        client.force_login(eve)
        url, loaded = change_page(client, obj)
        setattr(obj, field, "alice was here")
        obj.save()  # alice's save, in between
        refused = client.post(url, {**data, field: "eve's version", "loaded_version": loaded})
        assert refused.status_code == 200, refused.content[:500]
        assert "someone else saved" in form_errors(refused)
        obj.refresh_from_db()
        assert getattr(obj, field) == "alice was here"


def edited_sheet(model, edit) -> bytes:
    return edit_sheet(exported(model, "csv"), edit)


def edit_sheet(sheet: bytes, edit) -> bytes:
    rows = list(csv.DictReader(io.StringIO(sheet.decode("utf-8-sig"))))
    edit(rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_an_import_from_a_sheet_exported_before_an_edit_flags_that_row(alice):
    first, second = make_agreement(alice), make_agreement(alice)
    sheet = exported(Agreement, "csv")  # eve exports ...
    first.place = "Hanoi"
    services.save_record(first, by=alice)  # ... alice edits in the admin ...

    def eve_edits(rows):
        for row in rows:
            row["summary"] = "Eve's summary"

    plan = planned(Agreement, edit_sheet(sheet, eve_edits), "csv")  # ... eve imports hers.

    assert plan.counts["invalid"] == 1 and plan.counts["update"] == 1
    (error,) = plan.errors
    assert error.column == "version" and "out of date" in error.message
    assert error.row == next(r.number for r in plan.rows if r.label == first.reference)
    assert not plan.can_apply
    first.refresh_from_db()
    assert first.place == "Hanoi" and first.summary != "Eve's summary"
    assert Agreement.objects.get(pk=second.pk).summary != "Eve's summary"


@pytest.mark.parametrize("version", ["abc", "1e309", "nan", "-"])
def test_a_version_that_is_not_a_number_is_an_error_not_a_crash(alice, version):
    make_agreement(alice)

    def edit(rows):
        rows[0]["summary"], rows[0]["version"] = "edited", version

    plan = planned(Agreement, edited_sheet(Agreement, edit), "csv")
    (error,) = plan.errors
    assert error.column == "version" and "not a number" in error.message


def test_an_old_row_that_changes_nothing_is_unchanged_not_flagged(alice, rita):
    record = make_agreement(alice)
    sheet = exported(Agreement, "csv")
    services.verify_record(record, by=rita)  # saved again: a new version, same content
    plan = planned(Agreement, sheet, "csv")
    assert plan.counts["unchanged"] == 1 and not plan.errors


@pytest.mark.parametrize("model", [Agreement, Source, Citation])
def test_imported_updates_raise_the_version(alice, model):
    make_agreement(alice)
    obj = model.objects.get() if model is not Source else Source.objects.first()
    before = obj.version

    def edit(rows):
        column = {"agreement": "summary", "source": "notes", "citation": "locator"}[
            model._meta.model_name
        ]
        rows[0][column] = "changed by import"

    plan = planned(model, edited_sheet(model, edit), "csv")
    assert plan.counts["update"] == 1, plan.errors
    importing.apply(plan, by=alice, filename="sheet.csv")
    obj.refresh_from_db()
    assert obj.version == before + 1


def test_a_stale_citation_edited_inline_on_its_record_is_refused(client, alice, eve):
    agreement = make_agreement(alice)
    citation = agreement.citations.get()
    client.force_login(eve)
    url, loaded = change_page(client, agreement)
    citation.locator = "paragraph 2 (alice)"
    citation.save()  # alice, on the citation's own page, in between
    refused = client.post(
        url,
        agreement_with_inlines_form(
            agreement,
            loaded_version=loaded,
            **{
                "citations-0-locator": "paragraph 3 (eve)",
                "citations-0-loaded_version": citation.version - 1,
            },
        ),
    )
    assert refused.status_code == 200
    assert "someone else saved this citation" in refused.content.decode()
    citation.refresh_from_db()
    assert citation.locator == "paragraph 2 (alice)"


@pytest.mark.parametrize("meanwhile", ["saved", "deleted"])
def test_a_record_saved_between_the_check_and_the_write_stops_the_whole_import(alice, meanwhile):
    first, second = make_agreement(alice), make_agreement(alice)

    def edit(rows):
        for row in rows:
            row["place"] = "From the sheet"

    plan = planned(Agreement, edited_sheet(Agreement, edit), "csv")
    assert plan.counts["update"] == 2 and plan.can_apply
    if meanwhile == "saved":  # another editor saves while the confirmed sheet is checked
        first.place = "Alice's edit"
        services.save_record(first, by=alice)
    else:
        first.delete()

    with pytest.raises(ValueError, match=rf"1 record\(s\) .*{first.reference}.*Nothing was"):
        importing.apply(plan, by=alice, filename="sheet.csv")

    second.refresh_from_db()
    assert second.place != "From the sheet"
    assert not Agreement.history.filter(history_change_reason__startswith="Imported").exists()
    if meanwhile == "saved":
        first.refresh_from_db()
        assert first.place == "Alice's edit"
