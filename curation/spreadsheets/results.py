"""The library's import_data on coop's engine: a tablib Dataset in, the library's Result out.

Every row is checked before any is written (importing.plan); then all are written in one
transaction (importing.apply), or none: a sheet with an invalid row imports nothing.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, OperationalError, transaction
from import_export import exceptions
from import_export.results import Error, Result, RowResult

from curation.middleware import database_busy
from curation.spreadsheets import importing
from curation.spreadsheets.importing import CellError, ImportPlan, Table

log = logging.getLogger("curation.spreadsheets")
BUSY = (
    "Nothing was imported: the database stayed busy with another large write for longer than "
    "it waits. Your sheet is kept: confirm again in a minute."
)
PREVIEW_VALUES = 300  # new rows whose values the preview shows
IMPORT_TYPES = {
    "new": RowResult.IMPORT_TYPE_NEW,
    "update": RowResult.IMPORT_TYPE_UPDATE,
    "unchanged": RowResult.IMPORT_TYPE_SKIP,
    "invalid": RowResult.IMPORT_TYPE_INVALID,
}


class ImportResult(Result):
    """The library's Result, plus the plan it came from (for the admin's preview)."""

    def __init__(self, import_plan: ImportPlan | None = None, batch=None):
        super().__init__()
        self.plan, self.batch = import_plan, batch
        self.written = False

    @property
    def problems(self) -> list[str]:
        return [str(error.error) for error in self.base_errors]

    @property
    def cell_errors(self) -> list[CellError]:
        return self.plan.errors if self.plan else []

    @property
    def cell_notes(self) -> list[CellError]:
        """Cells stored otherwise than written (spaces at the ends, composed Unicode)."""
        return self.plan.notes if self.plan else []

    @property
    def look_alikes(self) -> list[tuple[int, str]]:
        """(row, warning) for new agreements that look like ones already recorded."""
        return self.plan.look_alikes if self.plan else []

    @property
    def created_organizations(self) -> list:
        return self.plan.created_organizations if self.plan else []


@importing.collector_paused()
def import_dataset(resource, dataset, *, dry_run, raise_errors, user, file_name, batch):
    """Check the dataset, and unless dry_run write it all; the Result says what happened."""
    if dry_run:
        import_plan = importing.preview(resource, Table.of(dataset), batch)
    else:
        import_plan = importing.confirmed_plan(resource, dataset, batch)
    result = result_of(import_plan, resource)
    result.batch = batch
    if raise_errors and (result.has_errors() or result.has_validation_errors()):
        raise exceptions.ImportError(first_error(result))
    if dry_run:
        return result
    if not import_plan.can_apply:
        if result.has_validation_errors():  # all rows or none: an error of the whole import
            invalid = result.totals["invalid"]
            message = f"Nothing was imported: {invalid} row(s) are invalid. {first_error(result)}"
            result.append_base_error(Error(ValueError(message)))
        return result
    try:
        with transaction.atomic():
            importing.apply(
                import_plan,
                by=importing_user(user),
                filename=file_name,
                new_organizations=batch.approved if batch else {},
            )
            if batch is not None:
                batch.mark_applied(import_plan.counts)
        result.written = True
    except (ValueError, DatabaseError) as error:
        if isinstance(error, OperationalError) and database_busy(error):
            result.append_base_error(Error(ValueError(BUSY)))  # the sheet is kept: confirm again
            return result
        if raise_errors:
            raise
        log.warning("Import of %s refused: %s", file_name, error)
        reason = str(error) if isinstance(error, ValueError) else refused_by_database(error)
        if batch is not None:
            batch.mark_failed(reason)
        result.append_base_error(Error(ValueError(f"Nothing was imported: {reason}")))
    except Exception:  # a defect: rolled back too, and the batch is not confirmed again
        if batch is not None:
            batch.mark_failed("An unexpected error; it is in the server's log.")
        raise
    return result


def refused_by_database(error: DatabaseError) -> str:
    """A database's refusal, said to an editor: all was rolled back, and what the database
    said, for whoever looks into it."""
    said = " ".join(str(error).split())[:200]
    return (
        f"the database refused the data ({type(error).__name__}: {said}). Every change was "
        "rolled back. Correct the sheet, or send this message to whoever runs coop."
    )


def result_of(import_plan: ImportPlan, resource) -> ImportResult:
    """The plan as the library reports it: totals, a RowResult per new, updated or invalid
    row, and its invalid rows with each message by column."""
    result = ImportResult(import_plan)
    result.diff_headers = resource.headers
    result.total_rows = len(import_plan.rows)
    for problem in import_plan.problems:
        result.append_base_error(Error(ValueError(problem)))
    shown = 0
    for row in import_plan.rows:
        row_result = RowResult()
        row_result.import_type = IMPORT_TYPES[row.action]
        row_result.number, row_result.changes = row.number, row.changes
        row_result.object_repr = row.label
        if row.obj is not None:
            row_result.object_id = row.obj.pk
        result.increment_row_result_total(row_result)
        if row.action == "invalid":
            row_result.validation_error = ValidationError(by_column(row.errors))
            result.append_invalid_row(row.number, {}, row_result.validation_error)
        if row.action == "new" and row.cells and shown < PREVIEW_VALUES:
            row_result.row_values = as_read(resource, row.cells)
            shown += 1
        if row.action != "unchanged":
            result.append_row_result(row_result)
    return result


def as_read(resource, cells: dict[str, str]) -> dict[str, str]:
    """A new row's cells as they will be stored, so the editor sees how each was read."""
    return {
        column: resource.columns[column].widget.display(text)
        for column, text in cells.items()
        if text.strip() and column not in resource.informative and column in resource.columns
    }


def by_column(errors: list[CellError]) -> dict[str, list[str]]:
    messages: dict[str, list[str]] = {}
    for error in errors:
        messages.setdefault(error.column, []).append(str(error))
    return messages


def first_error(result: Result) -> str:
    if result.base_errors:
        return str(result.base_errors[0].error)
    return result.invalid_rows[0].error.messages[0]


def importing_user(user):
    """Who an import is recorded as: the user who ran it, or for a script (`manage.py
    import`) the account named by IMPORT_USER, created inactive if it does not exist."""
    if user is not None:
        return user
    account, _ = get_user_model().objects.get_or_create(
        username=settings.IMPORT_USER, defaults={"is_active": False}
    )
    return account
