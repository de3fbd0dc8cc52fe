"""What a spreadsheet row of each record type holds: django-import-export resources.

Each resource declares its columns once, as Fields (column name, model attribute, widget);
the same columns serve CSV, XLSX, ODS and JSON, for export and import alike. Lists share a
cell, separated by "; " (parties carry their role: "Russia (signatory); Vietnam (signatory)"),
and are exported sorted, so a sheet exported and imported again compares equal.

export() is the library's; import_data() runs coop's set-based import
(curation/spreadsheets/importing.py: no query and no save per row) and returns the library's
Result. Every exported cell is neutralised (curation/cells.py), whatever the format.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import cached_property

from django.db.models import QuerySet
from import_export import resources
from import_export.fields import Field

from curation.cells import neutralise
from curation.models import (
    AGREEMENT_SUPPORTS,
    PROJECT_SUPPORTS,
    Agreement,
    AgreementParty,
    AgreementRelation,
    Citation,
    Organization,
    Project,
    ProjectParticipant,
    Source,
    Status,
)
from curation.spreadsheets.results import import_dataset
from curation.spreadsheets.widgets import (
    AgreementReferencesWidget,
    AmountWidget,
    ChoiceWidget,
    ListWidget,
    OrganizationLinksWidget,
    OrganizationNameWidget,
    PartialDateWidget,
    ReferenceWidget,
    RelationsWidget,
    SupportsWidget,
    TextWidget,
    VocabularyWidget,
    YesNoWidget,
)
from curation.text import fold_for_search

CHUNK = 2000  # records read (with their lists) per query when exporting


class Column(Field):
    """The library's Field, which also reads a dict: a download reads values(), not model
    instances. Attributes here name a model column or list, never a path through relations
    ("a__b"), so the library's walk along the path is not needed."""

    def get_value(self, instance):
        if type(instance) is dict:
            return instance.get(self.attribute)
        return super().get_value(instance)


def text(column: str, **options) -> Field:
    """A free-text column (its length is checked by the model field's validators)."""
    return Column(attribute=column, column_name=column, widget=TextWidget(**options))


def plain(column: str, attribute: str | None = None, widget=None, readonly=False) -> Field:
    widget = widget or TextWidget()
    return Column(
        attribute=attribute or column, column_name=column, widget=widget, readonly=readonly
    )


def version_column() -> Field:
    """The record's version: compared on import (a stale row is refused), never written."""
    return plain("version", readonly=True)


def record_chunks(queryset):
    """The queryset's objects in lists of CHUNK, in its order (else by pk), without the
    prefetches it may carry: a caller reads what each chunk needs in bulk."""
    if not queryset.ordered:
        queryset = queryset.order_by("pk")
    chunk = []
    for obj in queryset.prefetch_related(None).iterator(CHUNK):
        chunk.append(obj)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _pk(obj):
    return obj["id"] if isinstance(obj, dict) else obj.pk


class SheetResource(resources.ModelResource):
    """Columns, and the few facts about them that the import needs."""

    required: tuple[str, ...] = ()
    identity = ""  # what natural_key() compares, in words

    class Meta:
        chunk_size = CHUNK

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._selections: dict[tuple, list[Field]] = {}
        self._rendering: dict[tuple, list] = {}

    @cached_property
    def columns(self) -> dict[str, Field]:
        """The exported columns in order, by column name."""
        return {field.column_name: field for field in self.get_export_fields()}

    @cached_property
    def informative(self) -> frozenset[str]:
        """Columns exported for the reader and never imported (the library's readonly)."""
        return frozenset(column for column, field in self.columns.items() if field.readonly)

    @property
    def headers(self) -> list[str]:
        return list(self.columns)

    @property
    def model(self):
        return self._meta.model

    def scalar_attributes(self) -> list[str]:
        """The model's own columns that an import writes as they come (no lists, no links)."""
        own = {f.name for f in self.model._meta.concrete_fields if not f.is_relation}
        return [
            field.attribute
            for column, field in self.columns.items()
            if field.attribute in own and column not in self.informative | {"reference"}
        ]

    def column_of(self, attribute: str) -> str:
        """The column that sets a model attribute (the attribute's name if none does)."""
        return next((c for c, f in self.columns.items() if f.attribute == attribute), attribute)

    @cached_property
    def _model_fields(self) -> dict:
        return {f.name: f for f in self.model._meta.concrete_fields if not f.is_relation}

    def check_value(self, attribute: str, value) -> None:
        """Run the model field's validators (see curation.rules): a cell is refused as the
        admin's form refuses the same value, with the same message."""
        if attribute in self._model_fields:
            self._model_fields[attribute].run_validators(value)

    def list_columns(self) -> list[str]:
        return [c for c, field in self.columns.items() if isinstance(field.widget, ListWidget)]

    def get_queryset(self):
        return self.model.objects.all()

    def iter_queryset(self, queryset):
        """Records in chunks, each chunk's list cells read in one query per list column (the
        library would paginate, and prefetch model instances for every item). Where every
        column is the model's own or a list, a record is read as a values() dict, not a model
        instance: the library's Field reads either. Given a list of records rather than a
        queryset (the library accepts both), their lists are read a chunk at a time."""
        if not isinstance(queryset, QuerySet):
            for start in range(0, len(queryset), CHUNK):
                yield from self.with_lists(list(queryset[start : start + CHUNK]))
            return
        if self._reads_values:
            queryset = queryset.values(*self.row_values(None))
        for chunk in self.chunks(queryset):
            yield from chunk

    @cached_property
    def _reads_values(self) -> bool:
        lists = {field for _, field in self._related_lists}
        return all(
            field.attribute in self._model_fields or field in lists
            for field in self.columns.values()
        )

    def chunks(self, queryset, columns=None):
        """The records of iter_queryset, a chunk (a list) at a time, for callers that read
        more of each chunk in bulk (the public downloads add the evidence). Given columns,
        only their lists are read."""
        for chunk in record_chunks(queryset):
            yield self.with_lists(chunk, columns)

    @cached_property
    def _related_lists(self) -> list[tuple[str, Field]]:
        return [
            (column, field)
            for column, field in self.columns.items()
            if isinstance(field.widget, ListWidget) and field.widget.related
        ]

    def with_lists(self, objects: list, columns=None) -> list:
        """objects, each with the texts of its list cells (of these columns, else all), read
        per column. A model instance holds them in sheet_lists, by column; a dict from values()
        (what a download reads) holds them under each list's attribute, where the library's
        Field reads a dict."""
        lists = [(c, f) for c, f in self._related_lists if columns is None or c in columns]
        if not lists or not objects:
            return objects
        pks = {_pk(obj) for obj in objects}  # see Among: a set, sent whole
        texts = {column: defaultdict(list) for column, _ in lists}
        for column, field in lists:
            cells = texts[column]
            for pk, text in field.widget.cells_for(self.model, field.attribute, pks):
                cells[pk].append(text)
        if isinstance(objects[0], dict):
            for column, field in lists:  # a column at a time: no dict built per record
                cells = texts[column]
                for obj in objects:
                    obj[field.attribute] = cells.get(obj["id"], ())
        else:
            for obj in objects:
                obj.sheet_lists = {column: texts[column].get(obj.pk, ()) for column in texts}
        return objects

    def row_values(self, columns) -> list[str]:
        """What values() must read for these columns to export from dicts: the id and the
        model's own columns (with_lists adds the lists)."""
        attributes = [field.attribute for field in self._fields_for(columns)]
        return ["id", *(a for a in attributes if a in self._model_fields)]

    def export(self, queryset=None, **kwargs):
        dataset = super().export(queryset, **kwargs)
        dataset.title = str(self.model._meta.verbose_name_plural)
        return dataset

    def export_resource(self, instance, selected_fields=None, **kwargs) -> list[str]:
        """The row as exported: every cell neutralised, so none runs as a formula."""
        return [neutralise(cell) for cell in self.sheet_row(instance, selected_fields)]

    def sheet_row(self, instance, selected_fields=None) -> list[str]:
        """The row's cells as the editor reads them (what an imported row is compared with)."""
        if type(instance) is dict:  # a download's row, its lists included: a call per cell
            return [
                render(instance.get(attribute))
                for attribute, render in self._renderers(selected_fields)
            ]
        lists = getattr(instance, "sheet_lists", {})
        return [
            field.widget.render(lists[field.column_name])
            if field.column_name in lists
            else field.export(instance)
            for field in self._fields_for(selected_fields)
        ]

    def _renderers(self, selected_fields) -> list[tuple[str, Callable[..., str]]]:
        """(attribute, its widget's render) for each selected field, as _fields_for."""
        key = tuple(selected_fields or ())
        if key not in self._rendering:
            fields = self._fields_for(selected_fields)
            self._rendering[key] = [(field.attribute, field.widget.render) for field in fields]
        return self._rendering[key]

    def _fields_for(self, selected_fields) -> list[Field]:
        """The selected fields, by column or field name (all by default), in column order."""
        key = tuple(selected_fields or ())
        if key not in self._selections:
            wanted = {self.columns.get(name) or self.fields[name] for name in key}
            chosen = [f for f in self.columns.values() if not key or f in wanted]
            self._selections[key] = chosen
        return self._selections[key]

    def export_rows(self, objects) -> list[dict[str, str]]:
        headers = self.headers
        rows = self.with_lists(objects)
        return [dict(zip(headers, self.sheet_row(obj), strict=True)) for obj in rows]

    def key(self, cells: dict[str, str]) -> str:
        """The stable reference that names the row's record, or '' for a new one."""
        return cells.get("reference", "").strip()

    def natural_key(self, cells: dict[str, str]) -> str:
        return ""

    def natural_key_of(self, obj) -> str:
        return ""

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ):
        """The library's import_data, on coop's engine: every row is checked before any is
        written, and then all are written in one transaction, or none. A dry run writes
        nothing to the records. kwargs: user (who imports; else settings.IMPORT_USER),
        file_name, and batch (the admin's ImportBatch, which keeps a checked plan for confirm:
        with a batch, the dataset must be the batch's file)."""
        return import_dataset(
            self,
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            user=kwargs.get("user"),
            file_name=kwargs.get("file_name") or "a sheet",
            batch=kwargs.get("batch"),
        )


class RecordResource(SheetResource):
    """Agreements and projects: parties or participants with roles, fields of cooperation."""

    required = ("title_en", "kind")

    reference = plain("reference")
    title_en = text("title_en")
    title_original = text("title_original")
    original_language = text("original_language")
    fields_of_cooperation = plain("fields", "fields", VocabularyWidget())
    summary = text("summary")
    status = plain("status", widget=ChoiceWidget(Status), readonly=True)
    version = version_column()

    identity = "English title and date"

    def natural_key(self, cells):
        """Without a reference, a record is its exact English title and its date."""
        title = cells.get("title_en", "").strip()
        date_column = self.columns[self.model.DATE_FIELD]
        date = date_column.widget.canonical(cells.get(self.model.DATE_FIELD, ""))
        return f"{title}|{date}" if title else ""

    def natural_key_of(self, obj):
        return f"{obj.title_en}|{getattr(obj, self.model.DATE_FIELD)}"


RECORD_COLUMNS = ["reference", "title_en", "title_original", "original_language", "kind"]


class AgreementResource(RecordResource):
    kind = plain("kind", widget=ChoiceWidget(Agreement.Kind))
    date_signed = plain("date_signed", widget=PartialDateWidget())
    place = text("place")
    signed_by = text("signed_by")
    parties = plain("parties", "party_links", OrganizationLinksWidget(AgreementParty))
    relations = plain("relations", "relations", RelationsWidget(AgreementRelation.Kind))

    class Meta:
        model = Agreement
        fields = [
            *RECORD_COLUMNS,
            "date_signed",
            "place",
            "signed_by",
            "parties",
            "fields_of_cooperation",  # its column is "fields"
            "relations",
            "summary",
            "status",
            "version",
        ]


class ProjectResource(RecordResource):
    kind = plain("kind", widget=ChoiceWidget(Project.Kind))
    start = plain("start", widget=PartialDateWidget())
    end = plain("end", widget=PartialDateWidget())
    location = text("location")
    budget_amount = plain("budget_amount", widget=AmountWidget())
    budget_currency = text("budget_currency")
    participants = plain(
        "participants", "participant_links", OrganizationLinksWidget(ProjectParticipant)
    )
    agreements = plain("agreements", "agreements", AgreementReferencesWidget())

    class Meta:
        model = Project
        fields = [
            *RECORD_COLUMNS,
            "start",
            "end",
            "location",
            "budget_amount",
            "budget_currency",
            "participants",
            "agreements",
            "fields_of_cooperation",
            "summary",
            "status",
            "version",
        ]


class OrganizationResource(SheetResource):
    required = ("name", "kind")

    reference = plain("reference")
    name = text("name")
    name_original = text("name_original")
    acronym = text("acronym")
    kind = plain("kind", widget=ChoiceWidget(Organization.Kind))
    country = text("country")
    successor = plain("successor", widget=OrganizationNameWidget())
    wikidata_id = text("wikidata_id")
    ror_id = text("ror_id")
    version = version_column()

    class Meta:
        model = Organization
        fields = ["reference", "name", "name_original", "acronym", "kind", "country"]
        fields += ["successor", "wikidata_id", "ror_id", "version"]

    def get_queryset(self):
        return Organization.objects.select_related("successor")

    identity = "name"

    def natural_key(self, cells):
        return fold_for_search(cells.get("name", ""))

    def natural_key_of(self, obj):
        return fold_for_search(obj.name)


class SourceResource(SheetResource):
    required = ("title", "captured_text")

    reference = plain("reference")
    title = text("title")
    publisher = text("publisher")
    author = text("author")
    url = text("url")
    published_on = plain("published_on", widget=PartialDateWidget())
    language = text("language")
    kind = plain("kind", widget=ChoiceWidget(Source.Kind))
    captured_text = text("captured_text", verbatim=True)
    notes = text("notes")
    version = version_column()

    class Meta:
        model = Source
        fields = ["reference", "title", "publisher", "author", "url", "published_on"]
        fields += ["language", "kind", "captured_text", "notes", "version"]

    def get_queryset(self):
        return Source.objects.defer("search_text")

    identity = "title"

    def natural_key(self, cells):
        return fold_for_search(cells.get("title", ""))

    def natural_key_of(self, obj):
        return fold_for_search(obj.title)


class CitationResource(SheetResource):
    """Citations have no reference: a row is named by its record, source and quote."""

    required = ("record", "source", "quote")

    record = plain(
        "record", widget=ReferenceWidget(("agreements", "projects"), "an agreement or project")
    )
    source = plain("source", widget=ReferenceWidget(("sources",), "a source"))
    quote = text("quote")
    translation = text("translation")
    supports = plain("supports", widget=SupportsWidget({**AGREEMENT_SUPPORTS, **PROJECT_SUPPORTS}))
    locator = text("locator")
    inferred = plain("inferred", "is_inferred", YesNoWidget())
    inference = text("inference")
    found = plain("found", "quote_found", YesNoWidget(), readonly=True)
    version = version_column()

    class Meta:
        model = Citation
        fields = ["record", "source", "quote", "translation", "supports", "locator"]
        fields += ["inferred", "inference", "found", "version"]

    def get_queryset(self):
        return Citation.objects.select_related("source", "agreement", "project").defer(
            "source__captured_text", "source__search_text"
        )

    def key(self, cells):
        return ""

    identity = "record, source and quote"

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
