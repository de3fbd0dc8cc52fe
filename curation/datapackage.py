"""The public data as a Frictionless Data Package (https://datapackage.org): a descriptor at
/data/datapackage.json whose five tables are the streamed CSV downloads, each with a Table
Schema, so that the `frictionless` tools, or any reader of the standard, can check and load
them."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Max

from curation import downloads
from curation.models import Agreement, Citation, Organization, Project, Source
from curation.resources import RESOURCES
from curation.spreadsheets.widgets import english_labels

PARTIAL_DATE = {"pattern": r"\d{4}(-\d{2}(-\d{2})?)?"}
DATE_HELP = "As precise as the source: YYYY, YYYY-MM or YYYY-MM-DD."
JOINED = "joined with '; '"
COLUMNS = {
    "reference": ("string", "Permanent reference, as in the record's address."),
    "title_en": ("string", "Title in English."),
    "title_original": ("string", "Title in the original language."),
    "original_language": ("string", "Language of the original title (ISO 639-1)."),
    "kind": ("string", "Kind of record."),
    "date_signed": ("string", f"Date signed. {DATE_HELP}"),
    "place": ("string", "Where it was signed."),
    "signed_by": ("string", "The people who signed, one per line, with their office."),
    "parties": ("string", f"Parties as 'Name (role)', {JOINED}."),
    "fields": ("string", f"Fields of cooperation, {JOINED}."),
    "summary": ("string", "What it is about."),
    "start": ("string", f"Start. {DATE_HELP}"),
    "end": ("string", f"End. {DATE_HELP}"),
    "location": ("string", "Where it is carried out."),
    "budget_amount": ("number", "Budget, in budget_currency."),
    "budget_currency": ("string", "ISO 4217 code of the budget's currency."),
    "participants": ("string", f"Participants as 'Name (role)', {JOINED}."),
    "agreements": ("string", f"References of the agreements it implements, {JOINED}."),
    "sources": ("string", f"References of the sources its citations quote, {JOINED}."),
    "quotes": ("string", "Its citations' quotes, joined with ' | '."),
    "verified_at": ("datetime", "When a reviewer verified it (ISO 8601)."),
    "verified_by": ("string", "The verifier's role, never a name."),
    "name": ("string", "English name."),
    "name_original": ("string", "Name in its own language and script."),
    "acronym": ("string", "Acronym."),
    "country": ("string", "ISO 3166-1 alpha-2 code (ISO 3166-3 for former states)."),
    "successor": ("string", "Name of the state or body that continues it."),
    "wikidata_id": ("string", "Wikidata item (sameAs https://www.wikidata.org/wiki/<id>)."),
    "ror_id": ("string", "Research Organization Registry ID (sameAs https://ror.org/<id>)."),
    "title": ("string", "Title."),
    "publisher": ("string", "Publisher."),
    "author": ("string", "Author."),
    "url": ("string", "Address of the original page."),
    "published_on": ("string", f"Publication date. {DATE_HELP}"),
    "language": ("string", "Language of the captured text (ISO 639-1)."),
    "captured_text": ("string", "The source's text as captured: what quotes are checked against."),
    "record": ("string", "Reference of the agreement or project the citation supports."),
    "source": ("string", "Reference of the quoted source."),
    "quote": ("string", "The source's words, verbatim."),
    "translation": ("string", "English translation of a quote that is not in English."),
    "supports": ("string", f"The record's fields the quote supports, {JOINED}."),
    "locator": ("string", "Where in the source the quote stands."),
    "inferred": ("boolean", "Whether the value follows from the quote rather than being stated."),
    "inference": ("string", "How the value was inferred."),
}
# The record tables list their citations' evidence in one cell; the citations table, one each.
COLUMNS["found"] = ("boolean", "Whether the quote is in the source's captured text.")
FOUND_IN_RECORDS = COLUMNS | {
    "found": ("string", "For each quote, in order: 'yes' if its source holds it, else 'no'."),
}
CONSTRAINTS = {
    "date_signed": PARTIAL_DATE,
    "start": PARTIAL_DATE,
    "end": PARTIAL_DATE,
    "published_on": PARTIAL_DATE,
    "wikidata_id": {"pattern": r"Q[1-9][0-9]*"},
    "ror_id": {"pattern": r"0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}"},
}
YES_NO = {"trueValues": ["yes"], "falseValues": ["no"]}


class Table:
    """One CSV of the package: which rows, which columns, and their schema."""

    def __init__(self, name, model, title, primary_key="reference", foreign_keys=()):
        self.name, self.model, self.title = name, model, title
        self.primary_key, self.foreign_keys = primary_key, list(foreign_keys)

    @property
    def resource(self):
        return RESOURCES[self.model]

    @property
    def is_record(self) -> bool:
        return self.model in (Agreement, Project)

    def headers(self) -> list[str]:
        if self.is_record:
            return downloads.csv_headers(self.resource)
        private = {"version", "notes"}  # a source's notes are for curators
        return [h for h in self.resource.headers if h not in private]

    def queryset(self):
        if self.is_record:
            return self.model.objects.public()
        return self.resource.get_queryset().public()

    def response(self):
        if self.is_record:
            return downloads.csv_response(self.queryset(), self.name)
        return downloads.sheet_csv_response(
            self.resource, self.queryset(), self.headers(), self.name
        )

    def schema(self) -> dict:
        schema = {"fields": [self.field(column) for column in self.headers()]}
        if self.primary_key:
            schema["primaryKey"] = [self.primary_key]
        if self.foreign_keys:
            schema["foreignKeys"] = [
                {"fields": [column], "reference": {"resource": table, "fields": [key]}}
                for column, table, key in self.foreign_keys
            ]
        return schema

    def field(self, column: str) -> dict:
        kind, description = (FOUND_IN_RECORDS if self.is_record else COLUMNS)[column]
        field = {"name": column, "type": kind, "description": description}
        if kind == "boolean":
            field |= YES_NO
        constraints = dict(CONSTRAINTS.get(column, {}))
        if column == "kind":
            constraints["enum"] = list(english_labels(self.model.Kind).values())
        if column == self.primary_key:
            constraints |= {"required": True, "unique": True}
        if constraints:
            field["constraints"] = constraints
        return field

    def descriptor(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "path": f"{self.name}.csv",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": self.schema(),
        }


TABLES = {
    table.name: table
    for table in [
        Table("agreements", Agreement, "Verified agreements"),
        Table("projects", Project, "Verified projects"),
        Table(
            "organizations",
            Organization,
            "Organizations that verified records name, and their successors",
            primary_key="name",
            foreign_keys=[("successor", "", "name")],
        ),
        Table("sources", Source, "Sources that verified records cite"),
        Table(
            "citations",
            Citation,
            "The quotes that verified records rest on",
            primary_key="",
            foreign_keys=[("source", "sources", "reference")],
        ),
    ]
}


def last_verified() -> str:
    latest = [
        model.objects.public().aggregate(at=Max("verified_at"))["at"]
        for model in (Agreement, Project)
    ]
    latest = [at for at in latest if at]
    return max(latest).isoformat() if latest else ""


def descriptor(site: str) -> dict:
    license_id = settings.DATA_LICENSE
    return {
        "name": "coop",
        "title": "Verified records of international science and technology cooperation",
        "description": "Agreements and projects a reviewer has verified against the quoted "
        "sources, with the organizations they name, the sources and every quote.",
        "homepage": site + "/",
        "created": last_verified(),
        "licenses": [{"name": license_id, "path": f"https://spdx.org/licenses/{license_id}.html"}],
        "resources": [table.descriptor() for table in TABLES.values()],
    }
