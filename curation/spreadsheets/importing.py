"""Imports in two steps: plan() reads and compares without writing; apply() writes it all.

Both work on whole sheets at once: the records a sheet names, the organizations, fields and
references its cells mention are loaded in a few queries, and the writes are bulk inserts
and updates, with their history, in one transaction. Nothing runs a query per row.
"""

from __future__ import annotations

import difflib
import gc
import logging
import pickle
import unicodedata
import zlib
from collections import Counter
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, UniqueConstraint, prefetch_related_objects
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history

from curation import duplicates, facets
from curation.cells import restore
from curation.models import (
    Agreement,
    AgreementRelation,
    Citation,
    FieldOfCooperation,
    ImportBatch,
    Organization,
    Project,
    Publication,
    Source,
    Status,
)
from curation.models.references import allocate_references
from curation.rules import text_problem
from curation.signals import any_shown_publicly, bulk_writes
from curation.spreadsheets.fastwrite import (
    insert_history,
    insert_m2m_history,
    insert_rows,
    reserve_ids,
    update_with_history,
)
from curation.spreadsheets.formats import cell_text, dataset_of
from curation.spreadsheets.widgets import CellProblems, Lookups, TextWidget
from curation.text import fold_for_search

log = logging.getLogger("curation.spreadsheets")
BATCH = 2000
SHOWN_UNKNOWN = 100  # unknown organization names offered for creation on one preview
CANDIDATES = 40  # existing names compared with each unknown one
IN_CLAUSE = 5000  # references per query, within every database's parameter limit


@contextmanager
def collector_paused():
    """Python's cycle collector paused while a sheet is planned, kept or written. Those build
    millions of objects, each batch of which started a collection over all of them: 2.2 s of
    9 s on 100,000 new rows, 10 s of 25 s on 100,000 changed ones (bench/imports.py). Not
    while the file is read: the collector then frees what earlier requests left (the
    preview's 200 MB, in the admin's confirm)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class CellError:
    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "…"
        return f"Row {self.row}, column “{self.column}”, value “{shown}”: {self.message}"


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (row number as a spreadsheet shows it, cells)

    @classmethod
    def of(cls, dataset) -> Table:
        """A tablib Dataset's rows as text cells, numbered as a spreadsheet numbers them (the
        header is row 1); blank rows are skipped, and an apostrophe that an export put before
        a formula-like cell is taken off again."""
        headers = [cell_text(header).strip() for header in dataset.headers or []]
        rows = []
        for number, values in enumerate(dataset, start=2):
            cells = [
                value if type(value) is str and value.isascii() else cell_text(value)
                for value in values
            ]
            if any(cell.strip() for cell in cells):
                rows.append((number, {h: restore(c) for h, c in zip(headers, cells, strict=False)}))
        return cls(headers, rows)


def read_table(data: bytes, filename: str, encoding: str | None = None) -> Table:
    """A file's rows, read in the format its extension names (scripts, tests, benchmarks)."""
    return Table.of(dataset_of(data, filename, encoding))


def load_lookups(approved_new=frozenset()) -> Lookups:
    lookups = Lookups(approved_new=set(approved_new))
    for organization in Organization.objects.all():
        lookups.add_organization(organization)
    for vocabulary_field in FieldOfCooperation.objects.all():
        lookups.fields[fold_for_search(vocabulary_field.name)] = vocabulary_field
        lookups.fields[fold_for_search(vocabulary_field.slug)] = vocabulary_field
    return lookups


@dataclass
class RowPlan:
    number: int
    action: str  # new, update, unchanged or invalid
    label: str
    values: dict = field(default_factory=dict)
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    errors: list[CellError] = field(default_factory=list)
    obj: Model | None = None
    cells: dict[str, str] | None = None  # as read, for the preview; not kept for confirm
    notes: list[CellError] = field(default_factory=list)  # for the preview; not kept
    look_alikes: list[str] = field(default_factory=list)  # for the preview; not kept

    def __reduce__(self):
        """Pickled (see keep()) with its record's loaded field values and related objects
        only: pickling whole model instances took 3.7 s of 100,000 updated rows."""
        record = None
        if self.obj is not None:
            obj = self.obj
            loaded = {f.attname for f in obj._meta.concrete_fields} & vars(obj).keys()
            fields = {name: vars(obj)[name] for name in loaded}
            record = (type(obj), fields, obj._state.db, obj._state.fields_cache)
        plain = (self.number, self.action, self.label, self.values, self.changes, self.errors)
        return _unpickle_row_plan, (plain, record)


def _unpickle_row_plan(plain: tuple, record: tuple | None) -> RowPlan:
    obj = None
    if record is not None:
        # As Django unpickles a model instance (model_unpickle, __setstate__): no __init__,
        # which took 4 s for 100,000 records.
        model, fields, db, related = record
        obj = model.__new__(model)
        obj.__dict__.update(fields)
        obj._state = ModelState()
        obj._state.db, obj._state.adding, obj._state.fields_cache = db, False, related
    return RowPlan(*plain, obj=obj)


@dataclass
class ImportPlan:
    resource: object  # a curation.resources.SheetResource
    rows: list[RowPlan]
    problems: list[str]
    unknown_organizations: dict[str, list[str]]  # the first SHOWN_UNKNOWN, with suggestions
    lookups: Lookups
    created_organizations: list = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(row.action for row in self.rows)

    @property
    def unknown_not_shown(self) -> int:
        return len(self.lookups.unknown_organizations) - len(self.unknown_organizations)

    @property
    def errors(self) -> list[CellError]:
        return [error for row in self.rows for error in row.errors]

    @property
    def notes(self) -> list[CellError]:
        return [note for row in self.rows for note in row.notes]

    @property
    def look_alikes(self) -> list[tuple[int, str]]:
        """(row, warning) for each new row that looks like an agreement already recorded."""
        return [(row.number, warning) for row in self.rows for warning in row.look_alikes]

    @property
    def can_apply(self) -> bool:
        counts = self.counts
        return (
            not self.problems and not counts["invalid"] and bool(counts["new"] + counts["update"])
        )


def parse_row(resource, number: int, cells: dict[str, str], lookups: Lookups, parsed: dict):
    """The model values a row sets (only for the columns it has), and what is wrong with it.
    A cell's text is parsed once per sheet, however many rows repeat it."""
    values, errors = {}, []
    for column in resource.required:
        if column in cells and not cells[column].strip():
            errors.append(CellError(number, column, "", "is required."))
    for column, text in cells.items():
        if column == "reference" or column in resource.informative:
            if problem := text_problem(text):  # not imported, but not a sheet to trust
                errors.append(CellError(number, column, text, problem))
            continue
        outcome = parsed.get((column, text))
        if outcome is None:
            outcome = parsed[column, text] = _parse_cell(resource, column, text, lookups)
        cell_values, problems = outcome
        values.update(cell_values)  # shared between rows: never mutated
        errors += [CellError(number, column, value, message) for value, message in problems]
    return values, errors


def _stored_otherwise(resource, number: int, cells: dict[str, str]) -> list[CellError]:
    """Text cells that rules.as_stored() changes in more than line endings: said in the
    preview, so that nothing is altered without a word."""
    notes = []
    for column, text in cells.items():
        widget = getattr(resource.columns.get(column), "widget", None)
        if type(widget) is not TextWidget or widget.verbatim or not text:
            continue
        written = text.replace("\r\n", "\n").replace("\r", "\n")
        composed = unicodedata.normalize("NFC", written)
        stored = widget.canonical(text)
        said = []
        if composed != written:
            said.append("is stored in composed Unicode (NFC), which reads the same")
        if not stored:
            said.append("holds only white space, so it is stored empty")
        elif stored != composed:
            said.append("loses the spaces or tabs at its ends, or at the ends of its lines")
        if said:
            notes.append(CellError(number, column, text, "; ".join(said) + "."))
    return notes


def _rule_errors(resource, number, cells, values, obj) -> list[CellError]:
    """What the model's rules say of the row as a whole: the columns a new record needs, and
    the rules between fields (Model.inconsistencies) that its forms apply."""
    errors = [
        CellError(
            number,
            column,
            "",
            f"is required for a new record, and the sheet has no “{column}” column.",
        )
        for column in resource.required
        if obj is None and column not in cells
    ]
    fields = {f.name: f for f in resource.model._meta.concrete_fields}

    def value(name):
        if name in values:
            return values[name]
        return getattr(obj, name) if obj is not None else fields[name].get_default()

    for name, message in resource.model.inconsistencies(value).items():
        column = resource.column_of(name)
        errors.append(CellError(number, column, cells.get(column, ""), message))
    return errors


def _parse_cell(resource, column, text: str, lookups: Lookups) -> tuple[dict, list]:
    """A cell's model value, read by its widget and checked by the model field's validators,
    or (value, message) for each problem."""
    field = resource.columns[column]
    try:
        value = field.widget.clean(text, lookups=lookups)
        resource.check_value(field.attribute, value)
        return {field.attribute: value}, []
    except CellProblems as error:
        return {}, error.problems
    except ValidationError as error:
        return {}, [(text.strip(), " ".join(error.messages))]
    except ValueError as error:
        return {}, [(text.strip(), str(error))]


def plan(resource, table: Table, approved_new=frozenset()) -> ImportPlan:
    problems = _header_problems(resource, table.headers)
    lookups = load_lookups(approved_new)
    if problems:
        return ImportPlan(resource, [], problems, {}, lookups)
    rows = table.rows
    _load_references(resource, rows, lookups)
    parsed: dict[tuple[str, str], tuple[dict, list]] = {}
    by_reference, by_natural_key = _existing(resource, rows)
    exported = _exported(resource, [*by_reference.values(), *by_natural_key.values()])
    seen: dict[str, int] = {}
    planned = []
    for number, cells in rows:
        reference, natural = resource.key(cells), resource.natural_key(cells)
        obj = by_reference.get(reference) if reference else by_natural_key.get(natural)
        values, errors = parse_row(resource, number, cells, lookups, parsed)
        if not errors:
            errors = _rule_errors(resource, number, cells, values, obj)
        if reference and obj is None:
            errors.append(
                CellError(
                    number,
                    "reference",
                    reference,
                    "names no existing record; leave it empty to create a new one.",
                )
            )
        identity = reference or natural
        if identity and identity in seen:
            column = "reference" if reference else resource.required[0]
            what = "reference" if reference else "record (the same " + resource.identity + ")"
            errors.append(
                CellError(
                    number,
                    column,
                    cells.get(column, ""),
                    f"names the same {what} as row {seen[identity]}: keep one of the two rows.",
                )
            )
        seen.setdefault(identity, number)
        label = reference or cells.get("title_en") or cells.get("name") or cells.get("title") or ""
        row = RowPlan(number, "invalid", label[:120], values, errors=errors, obj=obj, cells=cells)
        if not errors:
            row.action, row.changes = _compare(resource, obj and exported[obj.pk], cells)
        if row.action == "update" and (stale := _stale_row(number, cells, obj)):
            row.action, row.errors = "invalid", [stale]
        if row.action in ("new", "update"):
            row.notes = _stored_otherwise(resource, number, cells)
        planned.append(row)
    _check_unique_values(resource, planned)
    unknown = _suggestions(lookups)
    return ImportPlan(resource, planned, [], unknown, lookups)


def _warn_of_look_alikes(planned: list[RowPlan]) -> None:
    """New agreements that look like one recorded, or like an earlier new row: said in the
    preview (curation/duplicates.py), in a few queries for the whole sheet."""
    new = []
    for row in planned:
        links = row.values.get("party_links") or []
        if row.action == "new" and all(isinstance(o, Organization) for o, _ in links):
            new.append((row, [organization.pk for organization, _ in links]))
    if not new:
        return
    register = duplicates.Register([organizations for _, organizations in new])
    for row, organizations in new:
        values = row.values
        draft = register.sketch(
            values.get("title_en", ""),
            values.get("title_original", ""),
            values.get("date_signed", ""),
            organizations,
            label=f"row {row.number}",
        )
        row.look_alikes = [
            duplicates.warning(draft, known) for known in register.look_alikes(draft)
        ]
        register.add(draft)


def _check_unique_values(resource, planned: list[RowPlan]) -> None:
    """The model's one-column unique constraints (a Wikidata ID, a ROR ID), checked over the
    whole sheet and against the database in one query per constraint, as the forms check one."""
    for constraint in resource.model._meta.constraints:
        if not isinstance(constraint, UniqueConstraint) or len(constraint.fields) != 1:
            continue
        name = constraint.fields[0]
        column = resource.column_of(name)
        rows = {}
        for row in planned:
            value = row.values.get(name)
            if row.action not in ("new", "update") or not value:
                continue
            if value in rows:
                message = f"is also on row {rows[value].number}: no two records may share it."
                row.action, row.errors = "invalid", [CellError(row.number, column, value, message)]
            else:
                rows[value] = row
        for chunk in _chunks(list(rows)):
            for pk, reference, value in resource.model.objects.filter(
                **{f"{name}__in": chunk}
            ).values_list("pk", "reference", name):
                row = rows[value]
                if row.obj is None or row.obj.pk != pk:
                    message = f"{constraint.violation_error_message} ({reference})"
                    row.action = "invalid"
                    row.errors = [CellError(row.number, column, value, message)]


@collector_paused()
def preview(resource, table: Table, batch: ImportBatch | None = None) -> ImportPlan:
    """Check a sheet without writing; a plan that can be applied is kept in its batch."""
    generation = Publication.edits_so_far()  # read first: a save made while planning outdates it
    import_plan = plan(resource, table, batch.approved_names() if batch else ())
    if resource.model is Agreement:  # said in the preview; confirming does not repeat it
        _warn_of_look_alikes(import_plan.rows)
    if batch is not None and import_plan.can_apply:
        batch.keep_checked_plan(keep(import_plan), generation)
    return import_plan


@collector_paused()
def confirmed_plan(resource, dataset, batch: ImportBatch | None = None) -> ImportPlan:
    """The preview's plan while nothing has been saved since it was made, else a new one from
    the dataset (the batch's file). The records it updates are checked again inside apply()'s
    transaction."""
    if batch is not None and batch.checked_at_generation == Publication.edits_so_far():
        kept_plan = kept(resource, batch.checked_plan)
        if kept_plan is not None:
            return kept_plan
    return plan(resource, Table.of(dataset), batch.approved_names() if batch else ())


def keep(import_plan: ImportPlan) -> bytes:
    """An applicable plan as the confirm step can reuse it, instead of reading and checking
    the sheet a second time. Signed with SECRET_KEY: kept() loads only this server's pickles.
    Compressed as it is pickled: 8 MB instead of 60 for 100,000 changed rows, which the
    database driver copies on the way in and again on the way out."""
    compressed = _Compressed()
    pickle.dump(import_plan.rows, compressed, protocol=pickle.HIGHEST_PROTOCOL)
    data = compressed.getvalue()
    return _signature(data) + data


class _Compressed:
    """A file for pickle.dump that compresses what is written to it as it comes."""

    def __init__(self):
        self.compressor, self.pieces = zlib.compressobj(1), []

    def write(self, data) -> None:
        self.pieces.append(self.compressor.compress(data))

    def getvalue(self) -> bytes:
        return b"".join([*self.pieces, self.compressor.flush()])


def kept(resource, blob) -> ImportPlan | None:
    """The plan keep() wrote (bytes, or a database's memoryview of them), or None if there is
    none or it cannot be trusted or read."""
    blob = memoryview(blob)
    signature, data = blob[:32], blob[32:]
    if not data or not constant_time_compare(bytes(signature), _signature(data)):
        return None
    try:
        rows = pickle.loads(zlib.decompress(data))
    except Exception:  # kept by an earlier version of this code: check the sheet again
        log.warning("An import plan kept by an earlier version could not be read")
        return None
    return ImportPlan(resource, rows, [], {}, Lookups())


def _signature(data: bytes) -> bytes:
    return salted_hmac("curation.import-plan", data, algorithm="sha256").digest()


def _header_problems(resource, headers: list[str]) -> list[str]:
    unknown = [h for h in headers if h and h not in resource.headers]
    problems = []
    if unknown:
        problems.append(
            f"Unknown column(s): {', '.join(unknown)}. "
            f"The columns are: {', '.join(resource.headers)}."
        )
    duplicated = [h for h, n in Counter(headers).items() if h and n > 1]
    if duplicated:
        problems.append(f"Column(s) given twice: {', '.join(duplicated)}.")
    if not {"reference", *resource.required} & set(headers) and resource.required:
        problems.append(
            f"The sheet needs a “reference” column or the columns {', '.join(resource.required)}."
        )
    return problems


def _chunks(values: list, size: int = IN_CLAUSE):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _load_references(resource, rows, lookups: Lookups) -> None:
    """Load the agreements, projects and sources that cells refer to, in a few queries."""
    mentioned: set[str] = set()
    for _, cells in rows:
        for header in ("relations", "agreements", "record", "source"):
            for item in cells.get(header, "").split(";"):
                mentioned.add(item.strip().split(" ")[-1])
    mentioned.discard("")
    references = sorted(mentioned)
    for chunk in _chunks(references):
        lookups.agreements |= {
            a.reference: a for a in Agreement.objects.filter(reference__in=chunk)
        }
        lookups.projects |= {p.reference: p for p in Project.objects.filter(reference__in=chunk)}
        sources = Source.objects.filter(reference__in=chunk).defer("search_text")
        lookups.sources |= {s.reference: s for s in sources}


def _existing(resource, rows) -> tuple[dict, dict]:
    references = sorted({resource.key(cells) for _, cells in rows} - {""})
    by_reference = {}
    for chunk in _chunks(references):
        by_reference |= {obj.reference: obj for obj in _plain(resource).filter(reference__in=chunk)}
    wanted = {resource.natural_key(cells) for _, cells in rows if not resource.key(cells)} - {""}
    by_natural_key = {}
    if wanted:
        for obj in _natural_candidates(resource, wanted):
            by_natural_key.setdefault(resource.natural_key_of(obj), obj)
    return by_reference, {key: obj for key, obj in by_natural_key.items() if key in wanted}


def _plain(resource):
    """The resource's rows without their lists: _exported reads those for a whole batch."""
    return resource.get_queryset().prefetch_related(None)


def _natural_candidates(resource, wanted: set[str]):
    """Rows that may share a natural key with the sheet's rows that have no reference."""
    if resource.model in (Organization, Source):
        yield from _plain(resource)  # few rows: their folded names are compared in Python
        return
    firsts = sorted({key.split("|")[0] for key in wanted})
    for chunk in _chunks(firsts):
        if resource.model in (Agreement, Project):
            yield from _plain(resource).filter(title_en__in=chunk)
        else:
            yield from _plain(resource).filter(agreement__reference__in=chunk)
            yield from _plain(resource).filter(project__reference__in=chunk)


def _exported(resource, objects: list[Model]) -> dict[int, dict[str, str]]:
    """Each record a sheet names, as an export would write it: what its row is compared with."""
    unique = list({obj.pk: obj for obj in objects}.values())
    exported = {}
    for chunk in _chunks(unique, BATCH):
        exported |= zip([obj.pk for obj in chunk], resource.export_rows(chunk), strict=True)
        for obj in chunk:
            vars(obj).pop("sheet_lists", None)  # read for the comparison only: not kept
    return exported


def _compare(resource, exported: dict[str, str] | None, cells) -> tuple[str, dict]:
    """new, update or unchanged, and each changed column's (old, new) as a person reads them:
    line endings, spaces at the ends of lines, the order of a list do not make a change."""
    if exported is None:
        return "new", {}
    changes = {}
    for header, text in cells.items():
        if header in resource.informative or header == "reference" or header not in exported:
            continue
        if text == exported[header]:
            continue  # as exported: no need to normalise either side
        canonical = resource.columns[header].widget.canonical
        old, new = canonical(exported[header]), canonical(text)
        if old != new:
            changes[header] = (old, new)
    return ("update" if changes else "unchanged"), changes


def _stale_row(number: int, cells: dict[str, str], obj) -> CellError | None:
    """A row that would overwrite a save made after its sheet was exported."""
    text = cells.get("version", "").strip()
    if not text:
        return None  # a sheet typed by hand: nothing to compare with
    try:
        exported = int(float(text))  # a spreadsheet program may have written 3 as 3.0
    except (ValueError, OverflowError):
        return CellError(number, "version", text, "is not a number; keep it as exported.")
    if exported == obj.version:
        return None
    return CellError(
        number,
        "version",
        text,
        f"is out of date: this record was saved again after the sheet was exported (it is at "
        f"version {obj.version} now), so this row would overwrite someone else's edit. Nothing "
        "was imported. Export a fresh sheet and make this row's change there.",
    )


def _suggestions(lookups: Lookups) -> dict[str, list[str]]:
    """Up to SHOWN_UNKNOWN unknown names, each with the closest existing names. Candidates come
    from an index of the names' three-letter pieces: the names sharing the most of the rarer
    pieces are compared (difflib), so a sheet of 1,000 unknown names against 10,000
    organizations compares each with a few dozen names, not all of them."""
    names = {}
    for entries in lookups.organizations.values():
        for organization in entries:
            for name in filter(None, [organization.name, organization.acronym]):
                names[fold_for_search(name)] = organization.name
    index: dict[str, set[str]] = {}
    for folded in names:
        for key in _index_keys(folded):
            index.setdefault(key, set()).add(folded)
    common = max(200, len(names) // 20)  # pieces of more names than this tell names apart poorly
    suggestions = {}
    for unknown in sorted(lookups.unknown_organizations)[:SHOWN_UNKNOWN]:
        folded = fold_for_search(unknown)
        shared = Counter(
            candidate
            for key in _index_keys(folded)
            if len(index.get(key, ())) <= common
            for candidate in index.get(key, ())
        )
        candidates = [candidate for candidate, _ in shared.most_common(CANDIDATES)]
        matches = difflib.get_close_matches(folded, candidates, n=3, cutoff=0.6)
        suggestions[unknown] = list(dict.fromkeys(names[match] for match in matches))
    return suggestions


def _index_keys(folded: str) -> set[str]:
    """A name's three-letter pieces, spaces included: "minstry" shares "min", "str" and "try"
    with "ministry"; "no. 12" shares ". 1" and " 12" with "nr. 12x"."""
    padded = f" {folded} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


@collector_paused()
def apply(import_plan: ImportPlan, *, by, filename: str, new_organizations=None) -> Counter:
    """Write a plan, all rows or none, and return how many rows were new and updated.
    new_organizations: name -> {"kind", "country"} for the unknown names the editor ticked."""
    if not import_plan.can_apply:
        raise ValueError("This import has problems or invalid rows; nothing was written.")
    reason = f"Imported from {filename}"
    token = bulk_writes.set(True)
    try:
        with transaction.atomic(), _summary_carried_over(import_plan):
            _refuse_if_saved_since_checked(import_plan)
            public = _seen_by_public(import_plan)  # before the writers change statuses
            import_plan.created_organizations = _create_approved_organizations(
                import_plan, new_organizations or {}, by, reason
            )
            WRITERS[import_plan.resource.model](import_plan, by, reason)
            Publication.bump(public=public or bool(import_plan.created_organizations))
    finally:
        bulk_writes.reset(token)
    counts = import_plan.counts
    log.info(
        "%s imported %s: %d new, %d updated, %d unchanged",
        by,
        filename,
        counts["new"],
        counts["update"],
        counts["unchanged"],
    )
    return counts


def _summary_carried_over(import_plan: ImportPlan):
    """An import of agreements or projects changes the public facets only through the
    verified records it updates, which go back to review: the summary is carried over for
    them in the import's transaction (curation/facets.py), so the next reader does not
    rebuild it. Any other import leaves that to the next page."""
    model = import_plan.resource.model
    if model not in (Agreement, Project):
        return nullcontext()
    updated = _rows(import_plan, "update")
    return facets.carried_over(
        model, [row.obj.pk for row in updated if row.obj.status == Status.VERIFIED]
    )


def _seen_by_public(import_plan: ImportPlan) -> bool:
    """Can the import change what the public sees? Not when its records arrive in review:
    only when it changes verified records (sending them back to review), organizations
    (each has a public page), or a source or citation that a verified record shows."""
    model = import_plan.resource.model
    updated = [row.obj for row in _rows(import_plan, "update")]
    if model is Organization:
        return True
    if model in (Agreement, Project):
        return any(obj.status == Status.VERIFIED for obj in updated)
    if model is Source:
        field = "source__in"
    else:
        records = [row.values.get("record") for row in _rows(import_plan, "new")]
        if any(record.status == Status.VERIFIED for record in records):
            return True
        field = "pk__in"
    pks = [obj.pk for obj in updated]
    return any(
        any_shown_publicly(Citation.objects.filter(**{field: chunk})) for chunk in _chunks(pks)
    )


def _refuse_if_saved_since_checked(import_plan: ImportPlan) -> None:
    """Inside the import's transaction, which holds the rows from here on: a record saved or
    deleted by someone else after the sheet was checked against it would be overwritten."""
    read = {row.obj.pk: row.obj for row in _rows(import_plan, "update")}
    moved = []
    for chunk in _chunks(list(read)):
        rows = import_plan.resource.model._base_manager.filter(pk__in=chunk)
        stored = dict(rows.select_for_update().values_list("pk", "version"))
        moved += [read[pk] for pk in chunk if stored.get(pk) != read[pk].version]
    if moved:
        named = ", ".join(str(getattr(obj, "reference", obj)) for obj in moved[:5])
        raise ValueError(
            f"{len(moved)} record(s) were saved or deleted by someone else while this sheet was "
            f"being checked ({named}{', …' if len(moved) > 5 else ''}). Nothing was imported: "
            "upload the sheet again to see their changes in the preview."
        )


def _create_approved_organizations(import_plan, new_organizations, by, reason) -> list:
    """The organizations the editor ticked, with the kind and country chosen for each; the
    rows that name them then link to them."""
    links = getattr(import_plan.resource.model, "LINKS", "")
    needed = sorted(
        {
            name
            for row in import_plan.rows
            for name, _ in row.values.get(links, ())
            if isinstance(name, str)
        }
    )
    if not needed:
        return []
    created = []
    for reference, name in zip(allocate_references(Organization, len(needed)), needed, strict=True):
        chosen = new_organizations.get(name, {})
        organization = Organization(
            reference=reference,
            name=name,
            kind=chosen.get("kind") or Organization.Kind.OTHER,
            country=chosen.get("country", ""),
        )
        organization.update_derived_fields()
        created.append(organization)
    bulk_create_with_history(
        created, Organization, batch_size=BATCH, default_user=by, default_change_reason=reason
    )
    by_name = {organization.name: organization for organization in created}
    for row in import_plan.rows:
        if links in row.values:
            row.values[links] = [
                (by_name[o] if isinstance(o, str) else o, role) for o, role in row.values[links]
            ]
    return created


def _rows(import_plan, action):
    return [row for row in import_plan.rows if row.action == action]


def _write_records(import_plan: ImportPlan, by, reason) -> None:
    resource, model = import_plan.resource, import_plan.resource.model
    link = model._meta.get_field(model.LINKS)
    link_model, record_field, links = link.related_model, link.field.name, model.LINKS
    scalar = resource.scalar_attributes()
    started = timezone.now()
    _insert_new_records(import_plan, scalar, link_model, record_field, by, reason)
    updated_rows = _rows(import_plan, "update")
    changed_fields = sorted({h for row in updated_rows for h in row.changes if h in scalar})
    unlinked = [row.obj for row in updated_rows if links not in row.values]
    prefetch_related_objects(unlinked, f"{model.LINKS}__organization")  # for their search text
    for row in updated_rows:
        obj = row.obj
        for name in changed_fields:
            if name in row.values:
                setattr(obj, name, row.values[name])
        obj.status = Status.IN_REVIEW  # only a reviewer verifies, whatever the sheet says
        obj.last_edited_by = by
        obj.version += 1
        organizations = (
            [o for o, _ in row.values[links]] if links in row.values else obj.organizations()
        )
        obj.search_text = _search_text(obj.reference, row.values, organizations, obj)
        obj.search_title = _search_title(row.values, obj)
    _save_changes(
        [row.obj for row in updated_rows],
        [*changed_fields, "status", "last_edited_by", "search_text", "search_title", "version"],
        by,
        reason,
    )

    def changed(header: str) -> list[RowPlan]:  # rows whose cell in that column changed
        return [row for row in updated_rows if header in row.changes]

    link_column = next(c for c, f in resource.columns.items() if f.attribute == links)
    _replace_links(changed(link_column), links, link_model, record_field, by, reason)
    _replace_many(
        changed("fields"),
        model.fields.through,
        model._meta.model_name,
        "fieldofcooperation",
        "fields",
    )
    if model is Project:
        _replace_many(
            changed("agreements"), Project.agreements.through, "project", "agreement", "agreements"
        )
    if model is Agreement:
        _replace_relations(changed("relations"), by, reason)
    insert_m2m_history(model, [row.obj.pk for row in updated_rows], since=started)


def _save_changes(objects: list[Model], fields: list[str], by, reason: str) -> None:
    """Write the changed fields of objects of one model, and a history row for each; the
    time of the change goes to updated_at where the model has one, as a save would."""
    if not objects:
        return
    model, now = type(objects[0]), timezone.now()
    if any(field.name == "updated_at" for field in model._meta.concrete_fields):
        for obj in objects:
            obj.updated_at = now
        fields = [*fields, "updated_at"]
    update_with_history(model, objects, fields, by=by, reason=reason, when=now)


def _value(values, obj, name):
    """A record's value once the row is written: the sheet's, else the record's own."""
    return values.get(name, getattr(obj, name, "") if obj is not None else "")


def _search_title(values, obj=None) -> str:
    titles = [_value(values, obj, "title_en"), _value(values, obj, "title_original")]
    return fold_for_search(" ".join(titles))


def _search_text(reference, values, organizations, obj=None) -> str:
    def value(name):
        return _value(values, obj, name)

    parts = [reference, value("title_en"), value("title_original"), value("summary")]
    own = fold_for_search(" ".join(filter(None, parts)))
    # organizations repeat from row to row: each is folded once (fold_for_search caches)
    linked = (fold_for_search(f"{o.name} {o.name_original} {o.acronym}") for o in organizations)
    return " ".join(filter(None, [own, *linked]))


def _insert_new_records(import_plan, scalar, link_model, record_field, by, reason) -> None:
    """New records with their links, fields and history, in a few executemany INSERTs."""
    model = import_plan.resource.model
    new_rows = _rows(import_plan, "new")
    if not new_rows:
        return
    now = timezone.now()
    references = allocate_references(model, len(new_rows))
    ids = reserve_ids(model, len(new_rows))
    records = []
    for row, reference, pk in zip(new_rows, references, ids, strict=True):
        organizations = [o for o, _ in row.values.get(model.LINKS, [])]
        records.append(
            {
                **{k: v for k, v in row.values.items() if k in scalar},
                "id": pk,
                "reference": reference,
                "status": Status.IN_REVIEW,
                "last_edited_by_id": by.pk,
                "created_at": now,
                "updated_at": now,
                "search_text": _search_text(reference, row.values, organizations),
                "search_title": _search_title(row.values),
            }
        )
    insert_rows(model, records)
    history_ids = reserve_ids(model.history.model, len(records))
    for record, history_id in zip(records, history_ids, strict=True):
        record["history_id"] = history_id  # known now: the lists' history rows point at it
    insert_history(model, records, by=by, reason=reason, when=now)
    links = [
        {f"{record_field}_id": record["id"], "organization_id": organization.pk, "role": role}
        for row, record in zip(new_rows, records, strict=True)
        for organization, role in row.values.get(model.LINKS, [])
    ]
    for link, pk in zip(links, reserve_ids(link_model, len(links)), strict=True):
        link["id"] = pk
    insert_rows(link_model, links)
    insert_history(link_model, links, by=by, reason=reason, when=now)
    for attribute in ("fields", "agreements") if model is Project else ("fields",):
        _insert_many(model, attribute, new_rows, records)
    if model is Agreement:
        relations = [
            AgreementRelation(agreement_id=record["id"], kind=kind, other=other)
            for row, record in zip(new_rows, records, strict=True)
            for kind, other in row.values.get("relations", [])
        ]
        bulk_create_with_history(
            relations,
            AgreementRelation,
            batch_size=BATCH,
            default_user=by,
            default_change_reason=reason,
        )


def _insert_many(model, attribute: str, new_rows, records) -> None:
    """New records' many-to-many rows (fields of cooperation, agreements), and the same rows in
    the history of the records' first version."""
    field = model._meta.get_field(attribute)
    own, target = f"{model._meta.model_name}_id", f"{field.related_model._meta.model_name}_id"
    rows = [
        {own: record["id"], target: chosen.pk, "history_id": record["history_id"]}
        for row, record in zip(new_rows, records, strict=True)
        for chosen in row.values.get(attribute, [])
    ]
    for row, pk in zip(rows, reserve_ids(field.remote_field.through, len(rows)), strict=True):
        row["id"] = pk
    insert_rows(field.remote_field.through, rows)
    insert_rows(HistoricalRecords.m2m_models[field], rows)


def _replace_links(rows, links, link_model, record_field, by, reason) -> None:
    rows = [row for row in rows if links in row.values]
    wanted = {(row.obj.pk, o.pk, role) for row in rows for o, role in row.values[links]}
    existing = {}
    for chunk in _chunks([row.obj.pk for row in rows if row.action == "update"]):
        for linked in link_model.objects.filter(**{f"{record_field}_id__in": chunk}):
            existing[
                (getattr(linked, f"{record_field}_id"), linked.organization_id, linked.role)
            ] = linked
    for key in existing.keys() - wanted:
        existing[key].delete()  # rare (a party removed): history records each deletion
    added = [
        link_model(**{f"{record_field}_id": record, "organization_id": organization, "role": role})
        for record, organization, role in sorted(wanted - existing.keys())
    ]
    bulk_create_with_history(
        added, link_model, batch_size=BATCH, default_user=by, default_change_reason=reason
    )


def _replace_many(rows, through, record_column, target_column, value_key) -> None:
    rows = [row for row in rows if value_key in row.values]
    wanted = {(row.obj.pk, target.pk) for row in rows for target in row.values[value_key]}
    existing = {}
    for chunk in _chunks([row.obj.pk for row in rows if row.action == "update"]):
        for pk, record, target in through.objects.filter(
            **{f"{record_column}_id__in": chunk}
        ).values_list("pk", f"{record_column}_id", f"{target_column}_id"):
            existing[(record, target)] = pk
    removed = [existing[key] for key in existing.keys() - wanted]
    for chunk in _chunks(removed):
        through.objects.filter(pk__in=chunk).delete()
    through.objects.bulk_create(
        [
            through(**{f"{record_column}_id": r, f"{target_column}_id": t})
            for r, t in sorted(wanted - existing.keys())
        ],
        batch_size=BATCH,
    )


def _replace_relations(rows, by, reason) -> None:
    rows = [row for row in rows if "relations" in row.values]
    wanted = {
        (row.obj.pk, kind, other.pk) for row in rows for kind, other in row.values["relations"]
    }
    existing = {}
    for chunk in _chunks([row.obj.pk for row in rows if row.action == "update"]):
        for relation in AgreementRelation.objects.filter(agreement_id__in=chunk):
            existing[(relation.agreement_id, relation.kind, relation.other_id)] = relation
    for key in existing.keys() - wanted:
        existing[key].delete()
    added = [
        AgreementRelation(agreement_id=a, kind=k, other_id=o)
        for a, k, o in sorted(wanted - existing.keys())
    ]
    bulk_create_with_history(
        added, AgreementRelation, batch_size=BATCH, default_user=by, default_change_reason=reason
    )


def _write_simple(import_plan: ImportPlan, by, reason) -> None:
    """Sources and organizations: their own columns only."""
    resource, model = import_plan.resource, import_plan.resource.model
    scalar = resource.scalar_attributes()
    if model is Organization:
        scalar.append("successor")
    new_rows, updated_rows = _rows(import_plan, "new"), _rows(import_plan, "update")
    new_objects = [
        model(reference=reference, **{k: v for k, v in row.values.items() if k in scalar})
        for row, reference in zip(new_rows, allocate_references(model, len(new_rows)), strict=True)
    ]
    changed_fields = sorted({h for row in updated_rows for h in row.changes if h in scalar})
    for row in updated_rows:
        for name in changed_fields:
            if name in row.values:
                setattr(row.obj, name, row.values[name])
        row.obj.version += 1
    updated = [row.obj for row in updated_rows]
    for obj in [*new_objects, *updated]:
        obj.update_derived_fields()
    bulk_create_with_history(
        new_objects, model, batch_size=BATCH, default_user=by, default_change_reason=reason
    )
    derived = ["search_text"] + (["text_sha256"] if model is Source else ["lineage_country"])
    _save_changes(updated, [*changed_fields, *derived, "version"], by, reason)
    if model is Source:
        for row in updated_rows:
            if "captured_text" in row.changes:
                row.obj.recheck_citations()
    else:
        _refresh_records_of(
            [row.obj for row in updated_rows if "name" in row.changes or "acronym" in row.changes]
        )


def _refresh_records_of(organizations) -> None:
    from curation.signals import refresh_search_text

    for model in (Agreement, Project):
        link = model._meta.get_field(model.LINKS)
        records = model.objects.filter(
            pk__in=link.related_model.objects.filter(organization__in=organizations).values(
                f"{link.field.name}_id"
            )
        ).prefetch_related(f"{model.LINKS}__organization")
        refresh_search_text(records)


def _write_citations(import_plan: ImportPlan, by, reason) -> None:
    scalar = ["quote", "translation", "locator", "inference", "supports", "is_inferred"]
    new_objects, updated, touched = [], [], {}
    for row in _rows(import_plan, "new"):
        record = row.values["record"]
        obj = Citation(
            source=row.values["source"], **{k: v for k, v in row.values.items() if k in scalar}
        )
        setattr(obj, "agreement" if isinstance(record, Agreement) else "project", record)
        new_objects.append(obj)
    for row in _rows(import_plan, "update"):
        for name, value in row.values.items():
            if name in scalar:
                setattr(row.obj, name, value)
        row.obj.version += 1
        updated.append(row.obj)
    for obj in [*new_objects, *updated]:
        obj.locate_quote()
        touched[(type(obj.record), obj.record.pk)] = obj.record
    bulk_create_with_history(
        new_objects, Citation, batch_size=BATCH, default_user=by, default_change_reason=reason
    )
    _save_changes(
        updated, [*scalar, "quote_found", "quote_start", "quote_end", "version"], by, reason
    )
    for model in (Agreement, Project):
        records = [record for (kind, _), record in touched.items() if kind is model]
        for record in records:
            record.status = Status.IN_REVIEW if record.status == Status.VERIFIED else record.status
            record.last_edited_by = by
            record.version += 1
        _save_changes(records, ["status", "last_edited_by", "version"], by, reason)


WRITERS = {
    Agreement: _write_records,
    Project: _write_records,
    Organization: _write_simple,
    Source: _write_simple,
    Citation: _write_citations,
}
