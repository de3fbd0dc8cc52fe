"""What a spreadsheet row of each record type holds, in columns a person can read and type.

The same headers serve CSV, XLSX and JSON, for export and import alike. Lists share a cell,
separated by "; " (parties also carry their role: "Vietnam (signatory); Russia (signatory)").
Exported lists are sorted, so a sheet exported and imported again compares equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from django.db.models import Prefetch

from curation.dates import PartialDate
from curation.models import (
    Agreement,
    AgreementParty,
    AgreementRelation,
    Citation,
    FieldOfCooperation,
    Organization,
    Project,
    ProjectParticipant,
    Source,
)
from curation.text import fold_for_search

SEPARATOR = "; "
_ROLE = re.compile(r"^(?P<name>.*\S)\s*\((?P<role>[^()]*)\)$")


# C0 controls and DEL, but tab and line breaks, which multi-line cells use.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class CellError:
    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "…"
        return f"Row {self.row}, column “{self.column}”, value “{shown}”: {self.message}"


def split_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def join_list(items) -> str:
    return SEPARATOR.join(sorted(items))


def _link_text(name: str, role: str) -> str:
    return f"{name} ({role})"


def _relation_text(kind: str, reference: str) -> str:
    return f"{kind} {reference}"


@dataclass
class Lookups:
    """Everything a sheet's cells refer to, loaded once per import in a few queries."""

    organizations: dict[str, list[Organization]] = field(default_factory=dict)
    fields: dict[str, FieldOfCooperation] = field(default_factory=dict)
    agreements: dict[str, Agreement] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    unknown_organizations: set[str] = field(default_factory=set)
    approved_new: set[str] = field(default_factory=set)
    # (column, cell) -> what it parses to: parties, fields, kinds and dates repeat row after row
    parsed: dict[tuple[str, str], tuple[dict, list[CellError]]] = field(default_factory=dict)

    def add_organization(self, organization: Organization) -> None:
        for name in {organization.name, organization.name_original, organization.acronym} - {""}:
            entries = self.organizations.setdefault(fold_for_search(name), [])
            if organization not in entries:
                entries.append(organization)

    def organization(self, name: str) -> Organization | str | None:
        """The organization a name means, None if unknown, or a message if it is ambiguous."""
        found = self.organizations.get(fold_for_search(name), [])
        if len(found) > 1:
            return f"“{name}” could mean {' or '.join(o.name for o in found)}: write the full name."
        return found[0] if found else None


def load_lookups(approved_new: set[str] = frozenset()) -> Lookups:
    lookups = Lookups(approved_new=set(approved_new))
    for organization in Organization.objects.all():
        lookups.add_organization(organization)
    for vocabulary_field in FieldOfCooperation.objects.all():
        lookups.fields[fold_for_search(vocabulary_field.name)] = vocabulary_field
        lookups.fields[fold_for_search(vocabulary_field.slug)] = vocabulary_field
    return lookups


@cache
def _folded_choices(choices) -> dict[str, str]:
    """Folded value and label of each choice -> value: "Memorandum of understanding" or its code."""
    folded = {}
    for value, label in choices.choices:
        folded[fold_for_search(value)] = folded[fold_for_search(label)] = value
    return folded


@lru_cache(maxsize=20_000)  # the same lists and dates repeat row after row
def _canonical_list(text: str) -> str:
    return join_list(split_list(text))


@lru_cache(maxsize=20_000)
def _canonical_date(text: str) -> str:
    try:
        return str(PartialDate.parse(text))
    except ValueError:
        return text


@cache
def _labels(model, name: str) -> dict:
    return dict(model._meta.get_field(name).flatchoices)


def _display(obj, name: str) -> str:
    """get_<name>_display(), without Django's per-call work: exports call it for every row."""
    value = getattr(obj, name)
    return str(_labels(type(obj), name).get(value, value)) if value else ""


@cache
def _text_limits(resource: type[Resource]) -> dict[str, int | None]:
    """Each free-text column's maximum length (None for a text field without one)."""
    fields = resource.model._meta
    return {header: fields.get_field(header).max_length for header in resource.text_columns}


class Resource:
    """One record type's columns: export_row() writes them, parse() reads them back."""

    model: type
    headers: list[str] = []
    text_columns: list[str] = []  # copied to the model field of the same name
    date_columns: list[str] = []
    choice_columns: dict[str, type] = {}
    list_columns: frozenset[str] = frozenset()  # cells holding several values, separated by ";"
    required: list[str] = []
    # Exported for the reader, never written by an import. "version" lets an import tell that
    # a record was saved again after the sheet was exported (see importing._stale_row).
    informative: list[str] = ["version"]

    def queryset(self):
        return self.model.objects.all()

    def key(self, cells: dict[str, str]) -> str:
        """The stable reference that names the row's record, or '' for a new one."""
        return cells.get("reference", "").strip()

    def natural_key(self, cells: dict[str, str]) -> str:
        return ""

    def natural_key_of(self, obj) -> str:
        return ""

    def export_rows(self, objects: list) -> list[dict[str, str]]:
        """export_row for many objects at once (a few queries per batch, none per object)."""
        return [self.export_row(obj) for obj in objects]

    def export_row(
        self, obj, headers: list[str] | None = None, known: dict[str, str] | None = None
    ) -> dict[str, str]:
        """The object's cells; known holds cells export_rows has already read for it."""
        row = {}
        for header in headers or self.headers:
            if known and header in known:
                row[header] = known[header]
            elif header in self.choice_columns:
                row[header] = _display(obj, header)
            elif (
                header in self.text_columns
                or header in self.date_columns
                or header in ("reference", "version")
            ):
                value = getattr(obj, header)
                row[header] = "" if value is None else str(value)
            else:
                row[header] = self.export_column(obj, header)
        return row

    def export_column(self, obj, header: str) -> str:
        raise NotImplementedError(header)

    def canonical(self, header: str, text: str) -> str:
        """How a cell compares with an exported one: lists sorted, dates normalised."""
        text = text.strip()
        if header in self.list_columns:
            return _canonical_list(text)
        if header in self.date_columns and text:
            return _canonical_date(text)
        return text

    def parse(
        self, row: int, cells: dict[str, str], lookups: Lookups
    ) -> tuple[dict, list[CellError]]:
        """The model values a row sets (only for the columns it has), and what is wrong with it."""
        values, errors = {}, []
        for header in self.required:
            if header in cells and not cells[header].strip():
                errors.append(CellError(row, header, "", "is required."))
        limits = _text_limits(type(self))
        for header, text in cells.items():
            text = text.strip()
            if CONTROL_CHARACTERS.search(text):
                errors.append(
                    CellError(row, header, text, "holds control characters; remove them.")
                )
            elif header in limits:
                limit = limits[header]
                if limit and len(text) > limit:
                    errors.append(
                        CellError(row, header, text, f"is longer than {limit} characters.")
                    )
                values[header] = text
            else:
                parsed = lookups.parsed.get((header, text))
                if parsed is None:
                    parsed = lookups.parsed[header, text] = self._parse_cell(header, text, lookups)
                cell_values, cell_errors = parsed
                values.update(cell_values)  # shared between rows: never mutated
                if cell_errors:
                    errors += [replace(error, row=row) for error in cell_errors]
        return values, errors

    def _parse_cell(self, header: str, text: str, lookups: Lookups) -> tuple[dict, list]:
        """A cell that is not free text, parsed once per import however many rows repeat it.

        Its errors carry row 0; parse() gives them the row that holds the cell."""
        values, errors = {}, []
        if header in self.date_columns:
            try:
                values[header] = str(PartialDate.parse(text)) if text else ""
            except ValueError as error:
                errors.append(CellError(0, header, text, str(error)))
        elif header in self.choice_columns:
            choice = self._choice(self.choice_columns[header], text)
            if choice is None:
                labels = ", ".join(label for _, label in self.choice_columns[header].choices)
                errors.append(CellError(0, header, text, f"is not one of: {labels}."))
            else:
                values[header] = choice
        elif header in self.headers and header not in self.informative and header != "reference":
            self.parse_column(0, header, text, values, errors, lookups)
        return values, errors

    @staticmethod
    def _choice(choices, text: str) -> str | None:
        if not text:
            return ""
        return _folded_choices(choices).get(fold_for_search(text))

    def parse_column(self, row, header, text, values, errors, lookups) -> None:
        raise NotImplementedError(header)


class RecordResource(Resource):
    """Agreements and projects: parties or participants with roles, fields of cooperation."""

    link_column = ""
    link_model: type = None
    informative = ["status", "version"]
    required = ["title_en", "kind"]

    def queryset(self):
        link = self.model.LINKS
        return self.model.objects.prefetch_related(f"{link}__organization", "fields")

    def export_rows(self, objects):
        """The list cells of a batch come from one query per column, as plain values: model
        instances for every party and field made exports and re-imports slow."""
        cells = {obj.pk: {header: [] for header in self.list_columns} for obj in objects}
        for header, items in self.list_items([obj.pk for obj in objects]):
            for pk, text in items:
                cells[pk][header].append(text)
        return [
            self.export_row(
                obj, known={header: join_list(items) for header, items in cells[obj.pk].items()}
            )
            for obj in objects
        ]

    def list_items(self, pks: list[int]):
        """(header, [(record pk, one item of the cell)]) for each list column."""
        link = self.model._meta.get_field(self.model.LINKS)
        record = f"{link.field.name}_id"
        links = link.related_model.objects.filter(**{f"{record}__in": pks})
        yield (
            self.link_column,
            (
                (pk, _link_text(name, role))
                for pk, name, role in links.values_list(record, "organization__name", "role")
            ),
        )
        column = f"{self.model._meta.model_name}_id"
        fields = self.model.fields.through.objects.filter(**{f"{column}__in": pks})
        yield "fields", fields.values_list(column, "fieldofcooperation__name")

    def natural_key(self, cells):
        """Without a reference, a record is its exact English title and its date."""
        title = cells.get("title_en", "").strip()
        date = self.canonical(self.model.DATE_FIELD, cells.get(self.model.DATE_FIELD, ""))
        return f"{title}|{date}" if title else ""

    def natural_key_of(self, obj):
        return f"{obj.title_en}|{getattr(obj, self.model.DATE_FIELD)}"

    def export_column(self, obj, header):
        if header == self.link_column:
            links = getattr(obj, self.model.LINKS).all()
            return join_list(_link_text(link.organization.name, link.role) for link in links)
        if header == "fields":
            return join_list(field.name for field in obj.fields.all())
        if header == "status":
            return _display(obj, "status")
        raise NotImplementedError(header)

    def parse_column(self, row, header, text, values, errors, lookups):
        if header == self.link_column:
            values["links"] = self._parse_links(row, header, text, errors, lookups)
        elif header == "fields":
            chosen = []
            for name in split_list(text):
                vocabulary_field = lookups.fields.get(fold_for_search(name))
                if vocabulary_field is None:
                    errors.append(
                        CellError(
                            row,
                            header,
                            name,
                            "is not a field of cooperation; "
                            "add it in the admin first or correct the spelling.",
                        )
                    )
                else:
                    chosen.append(vocabulary_field)
            values["fields"] = list(dict.fromkeys(chosen))  # a name given twice counts once

    def _parse_links(self, row, header, text, errors, lookups) -> list[tuple[object, str]]:
        roles = dict(self.link_model.Role.choices)
        links = []
        for item in split_list(text):
            match = _ROLE.match(item)
            name, role = (match["name"], match["role"].strip().lower()) if match else (item, "")
            if match and role not in roles:
                name, role = item, ""  # the parentheses belong to the name
            organization = lookups.organization(name)
            if isinstance(organization, str):
                errors.append(CellError(row, header, name, organization))
            elif organization is None and name not in lookups.approved_new:
                lookups.unknown_organizations.add(name)
                errors.append(CellError(row, header, name, "matches no organization."))
            else:
                links.append((organization or name, role or self.link_model.Role.choices[0][0]))
        return list(dict.fromkeys(links))


class AgreementResource(RecordResource):
    model = Agreement
    link_model = AgreementParty
    link_column = "parties"
    headers = [
        "reference",
        "title_en",
        "title_original",
        "original_language",
        "kind",
        "date_signed",
        "place",
        "signed_by",
        "parties",
        "fields",
        "relations",
        "summary",
        "status",
        "version",
    ]
    text_columns = [
        "title_en",
        "title_original",
        "original_language",
        "place",
        "signed_by",
        "summary",
    ]
    date_columns = ["date_signed"]
    choice_columns = {"kind": Agreement.Kind}
    list_columns = frozenset({"parties", "fields", "relations"})

    def queryset(self):
        relations = AgreementRelation.objects.select_related("other")
        return super().queryset().prefetch_related(Prefetch("relations", queryset=relations))

    def list_items(self, pks):
        yield from super().list_items(pks)
        relations = AgreementRelation.objects.filter(agreement_id__in=pks)
        yield (
            "relations",
            (
                (pk, _relation_text(kind, reference))
                for pk, kind, reference in relations.values_list(
                    "agreement_id", "kind", "other__reference"
                )
            ),
        )

    def export_column(self, obj, header):
        if header == "relations":
            return join_list(_relation_text(r.kind, r.other.reference) for r in obj.relations.all())
        return super().export_column(obj, header)

    def parse_column(self, row, header, text, values, errors, lookups):
        if header != "relations":
            return super().parse_column(row, header, text, values, errors, lookups)
        kinds = dict(AgreementRelation.Kind.choices)
        relations = []
        for item in split_list(text):
            kind, _, reference = item.partition(" ")
            other = lookups.agreements.get(reference.strip())
            if kind not in kinds or other is None:
                errors.append(
                    CellError(
                        row,
                        header,
                        item,
                        "should be a relation and a reference, "
                        f"e.g. “implements AGR-0006” ({', '.join(kinds)}).",
                    )
                )
            else:
                relations.append((kind, other))
        values["relations"] = list(dict.fromkeys(relations))


class ProjectResource(RecordResource):
    model = Project
    link_model = ProjectParticipant
    link_column = "participants"
    headers = [
        "reference",
        "title_en",
        "title_original",
        "original_language",
        "kind",
        "start",
        "end",
        "location",
        "budget_amount",
        "budget_currency",
        "participants",
        "agreements",
        "fields",
        "summary",
        "status",
        "version",
    ]
    text_columns = [
        "title_en",
        "title_original",
        "original_language",
        "location",
        "summary",
        "budget_currency",
    ]
    date_columns = ["start", "end"]
    choice_columns = {"kind": Project.Kind}
    list_columns = frozenset({"participants", "fields", "agreements"})

    def queryset(self):
        return super().queryset().prefetch_related("agreements")

    def list_items(self, pks):
        yield from super().list_items(pks)
        links = Project.agreements.through.objects.filter(project_id__in=pks)
        yield "agreements", links.values_list("project_id", "agreement__reference")

    def export_column(self, obj, header):
        if header == "budget_amount":
            return "" if obj.budget_amount is None else f"{obj.budget_amount.normalize():f}"
        if header == "agreements":
            return join_list(agreement.reference for agreement in obj.agreements.all())
        return super().export_column(obj, header)

    def canonical(self, header, text):
        if header == "budget_amount" and text.strip():
            from decimal import Decimal, InvalidOperation

            try:
                return f"{Decimal(text.strip().replace(',', '')).normalize():f}"
            except InvalidOperation:
                return text.strip()
        return super().canonical(header, text)

    def parse_column(self, row, header, text, values, errors, lookups):
        if header == "budget_amount":
            from decimal import Decimal, InvalidOperation

            try:
                values["budget_amount"] = Decimal(text.replace(",", "")) if text else None
            except InvalidOperation:
                errors.append(
                    CellError(row, header, text, "is not a number (write 1800000 or 1800000.50).")
                )
        elif header == "agreements":
            chosen = []
            for reference in split_list(text):
                if reference in lookups.agreements:
                    chosen.append(lookups.agreements[reference])
                else:
                    errors.append(
                        CellError(row, header, reference, "is not the reference of an agreement.")
                    )
            values["agreements"] = list(dict.fromkeys(chosen))
        else:
            super().parse_column(row, header, text, values, errors, lookups)


class OrganizationResource(Resource):
    model = Organization
    headers = [
        "reference",
        "name",
        "name_original",
        "acronym",
        "kind",
        "country",
        "successor",
        "version",
    ]
    text_columns = ["name", "name_original", "acronym", "country"]
    choice_columns = {"kind": Organization.Kind}
    required = ["name", "kind"]

    def queryset(self):
        return Organization.objects.select_related("successor")

    def natural_key(self, cells):
        return fold_for_search(cells.get("name", ""))

    def natural_key_of(self, obj):
        return fold_for_search(obj.name)

    def export_column(self, obj, header):
        return obj.successor.name if obj.successor_id else ""

    def parse_column(self, row, header, text, values, errors, lookups):
        successor = lookups.organization(text) if text else None
        if isinstance(successor, str) or (text and successor is None):
            errors.append(CellError(row, header, text, successor or "matches no organization."))
        else:
            values["successor"] = successor


class SourceResource(Resource):
    model = Source
    headers = [
        "reference",
        "title",
        "publisher",
        "author",
        "url",
        "published_on",
        "language",
        "kind",
        "captured_text",
        "notes",
        "version",
    ]
    text_columns = ["title", "publisher", "author", "url", "language", "captured_text", "notes"]
    date_columns = ["published_on"]
    choice_columns = {"kind": Source.Kind}
    required = ["title", "captured_text"]

    def natural_key(self, cells):
        return fold_for_search(cells.get("title", ""))

    def natural_key_of(self, obj):
        return fold_for_search(obj.title)


class CitationResource(Resource):
    """Citations have no reference: a row is named by its record, source and quote."""

    model = Citation
    headers = [
        "record",
        "source",
        "quote",
        "translation",
        "supports",
        "locator",
        "inferred",
        "inference",
        "found",
        "version",
    ]
    text_columns = ["quote", "translation", "locator", "inference"]
    list_columns = frozenset({"supports"})
    informative = ["found", "version"]
    required = ["record", "source", "quote"]

    def queryset(self):
        return Citation.objects.select_related("source", "agreement", "project").defer(
            "source__captured_text", "source__search_text"
        )

    def key(self, cells):
        return ""

    def natural_key(self, cells):
        return "|".join(
            [
                cells.get("record", "").strip(),
                cells.get("source", "").strip(),
                " ".join(cells.get("quote", "").split()),
            ]
        )

    def natural_key_of(self, obj):
        return "|".join([obj.record.reference, obj.source.reference, " ".join(obj.quote.split())])

    def export_column(self, obj, header):
        return {
            "record": lambda: obj.record.reference,
            "source": lambda: obj.source.reference,
            "supports": lambda: join_list(obj.supports),
            "inferred": lambda: "yes" if obj.is_inferred else "no",
            "found": lambda: "yes" if obj.quote_found else "no",
        }[header]()

    def canonical(self, header, text):
        if header == "inferred":
            return "yes" if text.strip().lower() in {"yes", "y", "true", "1", "có"} else "no"
        return super().canonical(header, text)

    def parse_column(self, row, header, text, values, errors, lookups):
        if header == "record":
            record = lookups.agreements.get(text) or lookups.projects.get(text)
            if record is None:
                errors.append(
                    CellError(row, header, text, "is not the reference of an agreement or project.")
                )
            else:
                values["record"] = record
        elif header == "source":
            if text in lookups.sources:
                values["source"] = lookups.sources[text]
            else:
                errors.append(CellError(row, header, text, "is not the reference of a source."))
        elif header == "supports":
            values["supports"] = split_list(text)
        elif header == "inferred":
            values["is_inferred"] = self.canonical(header, text) == "yes"


RESOURCES = {
    resource.model: resource
    for resource in [
        SourceResource(),
        OrganizationResource(),
        AgreementResource(),
        ProjectResource(),
        CitationResource(),
    ]
}
