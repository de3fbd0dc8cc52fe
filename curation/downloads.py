"""The public data downloads: every verified record matching the filters, streamed.

Records are read in chunks; each chunk's related rows (parties, fields, citations) are read as
plain values in one query per kind, not as model instances. Memory stays flat, and the number
of queries grows by a constant per chunk, never per row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch
from django.http import StreamingHttpResponse

from curation.cells import neutralise
from curation.dates import PartialDate
from curation.models import Agreement, Citation, Organization, Project, Record
from curation.resources import RESOURCES, record_chunks
from curation.roles import verifier_roles
from curation.spreadsheets.formats import CSV
from curation.spreadsheets.widgets import english_labels, join_list

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}
# The curators' sheet columns (curation/resources.py), less what the public has no use for,
# plus the evidence. Relations are left out: they may point at records not yet public.
PRIVATE_COLUMNS = {"status", "relations", "version"}  # version counts unpublished saves too


# A record's columns that no download shows: left unread (the search text is the longest).
UNREAD = [
    "search_text",
    "search_title",
    "internal_notes",
    "retraction_reason",
    "created_at",
    "updated_at",
]

# Appended to the curators' columns; "found" says, quote by quote, whether it is in its source.
EVIDENCE_COLUMNS = ["sources", "quotes", "found", "verified_at", "verified_by"]


def citations_prefetch() -> Prefetch:
    # A source's captured text can be long and is not shown beside a citation: leave it.
    sources = Citation.objects.select_related("source").defer(
        "source__captured_text", "source__search_text"
    )
    return Prefetch("citations", queryset=sources)


def links_prefetch(model) -> Prefetch:
    """A record's party or participant links with their organizations, in one query."""
    link_model = model._meta.get_field(model.LINKS).related_model
    return Prefetch(model.LINKS, link_model.objects.select_related("organization"))


def with_related(model, queryset):
    """Records with the rows their pages show, prefetched."""
    return queryset.prefetch_related(links_prefetch(model), "fields", citations_prefetch())


def csv_headers(resource) -> list[str]:
    return [h for h in resource.headers if h not in PRIVATE_COLUMNS] + EVIDENCE_COLUMNS


def dated(value: str) -> dict | None:
    if not value:
        return None
    return {"value": value, "precision": PartialDate.parse(value).precision}


def related_of(model, pks: list[int]) -> dict[int, dict[str, list]]:
    """What the JSON download shows beside each of these records (fields, organizations,
    citations and, for projects, the public agreements they implement), in one query each."""
    related = {
        pk: {"fields": [], "organizations": [], "citations": [], "agreements": []} for pk in pks
    }
    owner = f"{model._meta.model_name}_id"
    fields = model._meta.get_field("fields").remote_field.through.objects
    for pk, name in (
        fields.filter(**{f"{owner}__in": pks})
        .order_by("fieldofcooperation__name")
        .values_list(owner, "fieldofcooperation__name")
    ):
        related[pk]["fields"].append(name)
    links = model._meta.get_field(model.LINKS).related_model.objects
    for link in (
        links.filter(**{f"{owner}__in": pks})
        .order_by("pk")
        .values(
            owner,
            "role",
            "organization__reference",
            "organization__name",
            "organization__acronym",
            "organization__country",
            "organization__wikidata_id",
            "organization__ror_id",
        )
    ):
        related[link[owner]]["organizations"].append(
            {
                "reference": link["organization__reference"],
                "name": link["organization__name"],
                "acronym": link["organization__acronym"],
                "country": link["organization__country"],
                "same_as": Organization.addresses(
                    link["organization__wikidata_id"], link["organization__ror_id"]
                ),
                "role": link["role"],
            }
        )
    for citation in (
        Citation.objects.filter(**{f"{owner}__in": pks})
        .order_by("pk")
        .values(owner, *CITATION_VALUES, *(f"source__{name}" for name in SOURCE_VALUES))
    ):
        related[citation[owner]]["citations"].append(citation_data(citation))
    if model is Project:
        implemented = model._meta.get_field("agreements").remote_field.through.objects
        for pk, reference in (
            implemented.filter(project_id__in=pks, agreement__in=Agreement.objects.public())
            .order_by("-agreement__date_signed", "agreement__reference")
            .values_list("project_id", "agreement__reference")
        ):
            related[pk]["agreements"].append(reference)
    return related


CITATION_VALUES = ["quote", "quote_found", "translation", "is_inferred", "inference", "supports"]
SOURCE_VALUES = ["reference", "title", "publisher", "url", "published_on"]


def citation_data(citation: dict) -> dict:
    return {
        "quote": citation["quote"],
        "found": citation["quote_found"],
        "translation": citation["translation"],
        "inferred": citation["is_inferred"],
        "inference": citation["inference"],
        "supports": citation["supports"],
        "source": {
            "reference": citation["source__reference"],
            "title": citation["source__title"],
            "publisher": citation["source__publisher"],
            "url": citation["source__url"],
            "published_on": dated(citation["source__published_on"]),
        },
    }


def record_data(record: Record, related: dict, roles: dict[int, str], site: str = "/") -> dict:
    """A record as the JSON download gives it; site is the address its url starts with."""
    data = {
        "reference": record.reference,
        "url": site.rstrip("/") + record.get_absolute_url(),
        "title_en": record.title_en,
        "title_original": record.title_original,
        "original_language": record.original_language,
        "kind": record.kind,
        "kind_label": english_labels(type(record).Kind)[record.kind],  # as in the CSV
        "summary": record.summary,
        "fields": related["fields"],
    }
    if isinstance(record, Agreement):
        data |= {
            "date_signed": dated(record.date_signed),
            "place": record.place,
            "signed_by": record.signed_by,
            "parties": related["organizations"],
        }
    else:
        data |= {
            "start": dated(record.start),
            "end": dated(record.end),
            "location": record.location,
            "budget": (
                {"amount": str(record.budget_amount), "currency": record.budget_currency}
                if record.budget_amount is not None
                else None
            ),
            "participants": related["organizations"],
            "agreements": related["agreements"],
        }
    data["citations"] = related["citations"]
    data |= verification(record, roles)
    return data


def verification(record: Record, roles: dict[int, str]) -> dict[str, str]:
    return {
        "verified_at": record.verified_at.isoformat() if record.verified_at else "",
        "verified_by": roles[record.verified_by_id] if record.verified_by_id else "",
    }


def csv_rows(resource, queryset, columns: list[str]) -> Iterator[list[str]]:
    """The curators' columns as their sheets write them, then the evidence; all neutralised.

    Read as the admin's export reads them, a chunk at a time with one query per list column
    (no model instance per party or citation), plus one query for the chunk's citations and,
    for projects, one for which of the agreements they implement are public."""
    roles = verifier_roles()
    owner = f"{queryset.model._meta.model_name}_id"
    for chunk in resource.chunks(queryset.defer(*UNREAD)):
        by_pk = {record.pk: [] for record in chunk}
        citations = Citation.objects.filter(**{f"{owner}__in": list(by_pk)}).order_by("pk")
        for pk, *citation in citations.values_list(
            owner, "source__reference", "quote", "quote_found"
        ):
            by_pk[pk].append(citation)
        if "agreements" in columns:
            _only_public_agreements(chunk)
        for record in chunk:
            cited = by_pk[record.pk]
            evidence = {
                "sources": join_list({source for source, _, _ in cited}),
                "quotes": " | ".join(quote for _, quote, _ in cited),
                "found": " | ".join("yes" if found else "no" for _, _, found in cited),
                **verification(record, roles),
            }
            own = resource.export_resource(record, columns)
            yield own + [neutralise(evidence[column]) for column in EVIDENCE_COLUMNS]


def _only_public_agreements(projects: list) -> None:
    """A download names only the public agreements a project implements."""
    named = {ref for project in projects for ref in project.sheet_lists["agreements"]}
    public = set(
        Agreement.objects.public().filter(reference__in=named).values_list("reference", flat=True)
    )
    for project in projects:
        project.sheet_lists["agreements"] = [
            ref for ref in project.sheet_lists["agreements"] if ref in public
        ]


def _records(queryset, site: str) -> Iterator[dict]:
    """The records as JSON objects, read a chunk at a time with a few queries per chunk."""
    roles = verifier_roles()
    for chunk in record_chunks(queryset.defer(*UNREAD)):
        related = related_of(queryset.model, [record.pk for record in chunk])
        for record in chunk:
            yield record_data(record, related[record.pk], roles, site)


def attachment(response, filename: str, extension: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}.{extension}"'
    return response


def csv_response(queryset, filename: str) -> StreamingHttpResponse:
    resource = RESOURCES[queryset.model]
    headers = csv_headers(resource)
    rows = csv_rows(resource, queryset, headers[: -len(EVIDENCE_COLUMNS)])
    response = StreamingHttpResponse(CSV().stream(headers, rows), content_type=CONTENT_TYPES["csv"])
    return attachment(response, filename, "csv")


def sheet_csv_response(resource, queryset, headers, filename: str) -> StreamingHttpResponse:
    """A table in its curators' sheet columns (those given), read a chunk at a time."""
    rows = (resource.export_resource(obj, headers) for obj in resource.iter_queryset(queryset))
    response = StreamingHttpResponse(CSV().stream(headers, rows), content_type=CONTENT_TYPES["csv"])
    return attachment(response, filename, "csv")


def json_response(queryset, filename: str, site: str) -> StreamingHttpResponse:
    encode = json.JSONEncoder(ensure_ascii=False).encode

    def chunks() -> Iterable[str]:
        parts, size = ['{"results": ['], 0
        for index, data in enumerate(_records(queryset, site)):
            part = ("," if index else "") + "\n" + encode(data)
            parts.append(part)
            size += len(part)
            if size >= CSV.BUFFER:  # one write per 64k characters, not per record
                yield "".join(parts)
                parts, size = [], 0
        parts.append("\n]}\n")
        yield "".join(parts)

    response = StreamingHttpResponse(chunks(), content_type=CONTENT_TYPES["json"])
    return attachment(response, filename, "json")
