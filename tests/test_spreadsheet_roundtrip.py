"""Export, then import the same sheet: every row unchanged, nothing written, in every format."""

import csv
import gc
import io
import json
from contextlib import contextmanager
from itertools import groupby

import openpyxl
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from curation.models import Agreement, AgreementParty, Citation, Organization, Project, Source
from curation.resources import RESOURCES
from curation.spreadsheets import importing
from tests.conftest import make_agreement
from tests.spreadsheets import exported, planned


def history_rows() -> int:
    return sum(
        model.history.count() for model in (Agreement, Project, Organization, Source, Citation)
    )


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "ods", "json"])
@pytest.mark.parametrize("model", [Source, Organization, Agreement, Project, Citation])
def test_an_unchanged_export_imports_as_all_unchanged(seed, model, file_format):
    data = exported(model, file_format)
    plan = planned(model, data, file_format)
    assert not plan.problems and not plan.errors, plan.errors[:3]
    assert plan.counts["unchanged"] == model.objects.count() > 0
    assert not plan.can_apply


def test_an_edited_row_is_the_only_update_and_applies(seed, alice):
    rows = list(csv.DictReader(io.StringIO(exported(Agreement, "csv").decode("utf-8-sig"))))
    target = next(row for row in rows if row["date_signed"] == "1959-03-07")
    target["place"] = "Moscow"
    target["fields"] += "; Energy"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    plan = planned(Agreement, out.getvalue().encode(), "csv")
    assert plan.counts["update"] == 1 and plan.counts["unchanged"] == len(rows) - 1
    (change,) = [row for row in plan.rows if row.action == "update"]
    assert set(change.changes) == {"place", "fields"}
    before = history_rows()
    importing.apply(plan, by=alice, filename="edited.csv")
    agreement = Agreement.objects.get(date_signed="1959-03-07")
    assert agreement.place == "Moscow" and agreement.status == "in_review"
    assert "Energy" in [f.name for f in agreement.fields.all()]
    latest = agreement.history.latest()
    assert (
        latest.history_user == alice and latest.history_change_reason == "Imported from edited.csv"
    )
    assert latest.history_type == "~" and latest.place == "Moscow"  # the state after the import
    assert latest.version == agreement.version and agreement.updated_at == latest.history_date
    assert history_rows() > before


def test_new_rows_arrive_in_review_whatever_the_sheet_says(seed, alice):
    sheet = (
        "title_en,kind,date_signed,parties,fields,status\n"
        "New pact,Memorandum of understanding,2026-01,Vietnam (signatory); Russia (signatory),"
        "Energy,Verified\n"
    )
    plan = planned(Agreement, sheet.encode(), "csv")
    assert plan.counts["new"] == 1, plan.errors
    importing.apply(plan, by=alice, filename="new.csv")
    pact = Agreement.objects.get(title_en="New pact")
    assert pact.status == "in_review" and pact.reference.startswith("AGR-")
    assert sorted(o.name for o in pact.organizations()) == ["Russia", "Vietnam"]
    assert "vietnam" in pact.search_text
    again = planned(Agreement, sheet.encode(), "csv")
    assert again.counts["unchanged"] == 1  # matched by its natural key: never duplicated


def test_imported_rows_take_ids_never_used_before_and_later_saves_do_not_collide(seed, alice):
    """Imports choose the ids of new rows before inserting them (fastwrite.reserve_ids)."""
    removed = make_agreement(alice)
    removed_ids = removed.pk, removed.party_links.get().pk
    removed.delete()  # the highest ids so far: SQLite must not hand them out again
    sheet = "title_en,kind,date_signed,parties\n" + "".join(
        f"Fresh {n},Contract,2021,Vietnam (signatory); Cuba (signatory)\n" for n in range(3)
    )
    importing.apply(planned(Agreement, sheet.encode(), "csv"), by=alice, filename="fresh.csv")
    fresh = Agreement.objects.filter(title_en__startswith="Fresh ")
    links = AgreementParty.objects.filter(agreement__in=fresh)
    assert fresh.count() == 3 and links.count() == 6
    assert min(fresh.values_list("pk", flat=True)) > removed_ids[0]
    assert min(links.values_list("pk", flat=True)) > removed_ids[1]
    for agreement in fresh:  # each history row names the row it describes
        assert agreement.history.get().history_change_reason == "Imported from fresh.csv"
    link_history = AgreementParty.history.filter(agreement_id__in=fresh.values("pk"))
    assert sorted(link_history.values_list("id", flat=True)) == sorted(
        links.values_list("pk", flat=True)
    )
    later = make_agreement(alice)  # the database's own numbering carries on above the import
    assert later.pk > max(fresh.values_list("pk", flat=True))
    assert later.party_links.get().pk > max(links.values_list("pk", flat=True))


def test_xlsx_resaved_by_a_spreadsheet_program_still_compares_unchanged(seed):
    """Excel and LibreOffice store numbers and dates as such, and may add blank rows."""
    workbook = openpyxl.load_workbook(io.BytesIO(exported(Project, "xlsx")))
    sheet = workbook.active
    headers = [cell.value for cell in sheet[1]]
    budget = headers.index("budget_amount") + 1
    for row in sheet.iter_rows(min_row=2):
        if row[budget - 1].value:
            row[budget - 1].value = float(row[budget - 1].value)  # typed as a number
    for _ in range(300):
        sheet.append([None] * len(headers))  # trailing blank rows
    out = io.BytesIO()
    workbook.save(out)
    plan = planned(Project, out.getvalue(), "xlsx")
    assert plan.counts["unchanged"] == Project.objects.count() and not plan.errors


def test_json_export_is_a_list_of_objects_with_the_same_headers(seed):
    rows = json.loads(exported(Organization, "json"))
    assert list(rows[0]) == RESOURCES[Organization].headers


@contextmanager
def statements_run():
    """What the database is sent: on SQLite every statement the driver runs, the bulk inserts
    that bypass Django's cursor included; elsewhere Django's queries (COPY is one a table).
    SQLite reports a statement again, with the same values, each time a trigger of it fires:
    those repeats are one statement."""
    if connection.vendor != "sqlite":
        with CaptureQueriesContext(connection) as queries:
            yield queries
        return
    connection.ensure_connection()
    reported, statements = [], []
    connection.connection.set_trace_callback(reported.append)
    try:
        yield statements
    finally:
        connection.connection.set_trace_callback(None)
        statements += [text for text, _ in groupby(reported)]


def test_import_queries_grow_by_batch_not_by_row(seed, alice):
    """Bulk inserts split only at the database's parameter limit (999 on SQLite)."""

    def run(count: int) -> int:
        lines = ["title_en,kind,date_signed,parties,fields"] + [
            f"Bulk {count} {n},Contract,2020,Vietnam (signatory); Cuba (signatory),Energy"
            for n in range(count)
        ]
        with statements_run() as statements:
            plan = planned(Agreement, "\n".join(lines).encode(), "csv")
            importing.apply(plan, by=alice, filename="bulk.csv")
        return len(statements)

    few, many = run(5), run(400)
    assert many - few <= (400 - 5) // 10, (few, many)  # at most one more query per 10 rows
    # several INSERTs a table, the last one part full: every row is there, with its links
    written = Agreement.objects.filter(title_en__startswith="Bulk 400 ")
    assert written.count() == 400
    assert AgreementParty.objects.filter(agreement__in=written).count() == 800
    assert Agreement.fields.through.objects.filter(agreement__in=written).count() == 400
    first_versions = Agreement.history.filter(id__in=written.values("pk"), history_type="+")
    assert first_versions.count() == 400
    assert all(version.fields.count() == 1 for version in first_versions[:50])


@pytest.mark.parametrize(
    ("model", "sheet", "key"),
    [
        (Organization, "name,kind\nrussia,State\n", "name"),
        (
            Source,
            'title,captured_text\n"New momentum for sci-tech cooperation with France, Cuba",x\n',
            "title",
        ),
    ],
)
def test_a_sheet_without_references_matches_by_natural_key_and_never_duplicates(
    seed, model, sheet, key
):
    plan = planned(model, sheet.encode(), "csv")
    assert plan.counts["new"] == 0, plan.counts
    assert plan.counts["update"] + plan.counts["unchanged"] == 1


@pytest.mark.parametrize(("model", "lists"), [(Agreement, "relations"), (Project, "agreements")])
def test_an_export_reads_its_lists_in_a_few_queries_however_many_rows(seed, alice, model, lists):
    resource = RESOURCES[model]
    with CaptureQueriesContext(connection) as queries:
        dataset = resource.export()
    for _ in range(30):
        make_agreement(alice) if model is Agreement else None
    with CaptureQueriesContext(connection) as more_queries:
        more = resource.export()
    assert len(more_queries) == len(queries) and len(more) >= len(dataset)
    link_column = "parties" if model is Agreement else "participants"
    assert all(any(row) for row in (dataset[link_column], dataset["fields"], dataset[lists]))


class RolledBack(Exception):
    pass


def queries_to_apply(plan, user, keep: bool) -> int:
    with CaptureQueriesContext(connection) as queries:
        try:
            with transaction.atomic():
                importing.apply(plan, by=user, filename="edited.csv")
                if not keep:
                    raise RolledBack
        except RolledBack:
            pass
    return len(queries)


EDITED_COLUMN = {
    Source: "notes",
    Organization: "name_original",
    Agreement: "place",
    Project: "location",
    Citation: "locator",
}


@pytest.mark.parametrize("model", list(EDITED_COLUMN))
def test_a_kept_plan_of_updates_writes_what_a_fresh_plan_writes(seed, alice, model):
    """Confirm applies the preview's plan as keep() pickled it, without whole model instances:
    the records it updates come back whole, with the related records they were read with."""
    column = EDITED_COLUMN[model]
    rows = list(csv.DictReader(io.StringIO(exported(model, "csv").decode("utf-8-sig"))))
    for number, row in enumerate(rows):
        row[column] = f"Edited {number}"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    fresh = planned(model, out.getvalue().encode(), "csv")
    kept = importing.kept(RESOURCES[model], importing.keep(fresh))
    assert kept.counts["update"] == fresh.counts["update"] == len(rows) == model.objects.count()
    versions = dict(model.objects.values_list("pk", "version"))

    fresh_queries = queries_to_apply(fresh, alice, keep=False)
    assert queries_to_apply(kept, alice, keep=True) <= fresh_queries  # none per row either
    assert sorted(model.objects.values_list(column, flat=True)) == sorted(
        f"Edited {n}" for n in range(len(rows))
    )
    assert all(versions[pk] + 1 == v for pk, v in model.objects.values_list("pk", "version"))
    changed = model.history.filter(history_change_reason="Imported from edited.csv")
    assert changed.filter(history_user=alice, history_type="~").count() == len(rows)


def test_the_cycle_collector_runs_again_after_an_import_even_a_refused_one(seed, alice):
    sheet = "title_en,kind,date_signed,parties\nCollected,Contract,2020,Vietnam (signatory)\n"
    plan = planned(Agreement, sheet.encode(), "csv")
    importing.apply(plan, by=alice, filename="a.csv")
    assert gc.isenabled()
    with pytest.raises(ValueError, match="nothing was written"):
        importing.apply(
            planned(Agreement, b"title_en,kind\n,Contract\n", "csv"), by=alice, filename="b.csv"
        )
    assert gc.isenabled()
