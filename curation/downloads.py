"""The public data downloads: every verified record matching the filters, streamed.

Rows are read in chunks, each with its related rows prefetched, so memory stays flat and the
number of queries grows only by a constant per chunk, never per row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch
from django.http import StreamingHttpResponse

from curation.cells import neutralise
from curation.dates import PartialDate
from curation.models import Agreement, Citation, Project, Record
from curation.resources import RESOURCES
from curation.roles import verifier_roles
from curation.spreadsheets.formats import CSV
from curation.spreadsheets.widgets import english_labels, join_list

CHUNK = 2000
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}
# The curators' sheet columns (curation/resources.py), less what the public has no use for,
# plus the evidence. Relations are left out: they may point at records not yet public.
PRIVATE_COLUMNS = {"status", "relations", "version"}  # version counts unpublished saves too


# Appended to the curators' columns; "found" says, quote by quote, whether it is in its source.
EVIDENCE_COLUMNS = ["sources", "quotes", "found", "verified_at", "verified_by"]


def citations_prefetch() -> Prefetch:
    # A source's captured text can be long and is not shown beside a citation: leave it.
    sources = Citation.objects.select_related("source").defer(
        "source__captured_text", "source__search_text"
    )
    return Prefetch("citations", queryset=sources)


def with_related(model, queryset):
    """Records with the rows their pages and downloads show, prefetched."""
    return queryset.prefetch_related(f"{model.LINKS}__organization", "fields", citations_prefetch())


def for_download(model, queryset):
    """A download names only the public agreements a project implements."""
    if model is Project:
        public = Agreement.objects.public()
        queryset = queryset.prefetch_related(Prefetch("agreements", queryset=public))
    return queryset


def csv_headers(resource) -> list[str]:
    return [h for h in resource.headers if h not in PRIVATE_COLUMNS] + EVIDENCE_COLUMNS


def dated(value: str) -> dict | None:
    if not value:
        return None
    return {"value": value, "precision": PartialDate.parse(value).precision}


def citation_data(citation) -> dict:
    source = citation.source
    return {
        "quote": citation.quote,
        "found": citation.quote_found,
        "translation": citation.translation,
        "inferred": citation.is_inferred,
        "inference": citation.inference,
        "supports": citation.supports,
        "source": {
            "reference": source.reference,
            "title": source.title,
            "publisher": source.publisher,
            "url": source.url,
            "published_on": dated(source.published_on),
        },
    }


def organization_links(record: Record) -> list[dict]:
    links = (
        record.party_links.all()
        if isinstance(record, Agreement)
        else record.participant_links.all()
    )
    return [
        {
            "reference": link.organization.reference,
            "name": link.organization.name,
            "acronym": link.organization.acronym,
            "country": link.organization.country,
            "same_as": link.organization.same_as(),
            "role": link.role,
        }
        for link in links
    ]


def record_data(record: Record, roles: dict[int, str], site: str = "/") -> dict:
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
        "fields": [field.name for field in record.fields.all()],
    }
    if isinstance(record, Agreement):
        data |= {
            "date_signed": dated(record.date_signed),
            "place": record.place,
            "signed_by": record.signed_by,
            "parties": organization_links(record),
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
            "participants": organization_links(record),
            "agreements": [agreement.reference for agreement in record.agreements.all()],
        }
    data["citations"] = [citation_data(citation) for citation in record.citations.all()]
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
    for chunk in resource.chunks(queryset):
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
    roles = verifier_roles()
    for record in queryset.iterator(chunk_size=CHUNK):
        yield record_data(record, roles, site)


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
    def chunks() -> Iterable[str]:
        yield '{"results": ['
        for index, data in enumerate(_records(queryset, site)):
            yield ("," if index else "") + "\n" + json.dumps(data, ensure_ascii=False)
        yield "\n]}\n"

    response = StreamingHttpResponse(chunks(), content_type=CONTENT_TYPES["json"])
    return attachment(response, filename, "json")
