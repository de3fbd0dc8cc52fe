"""The public data downloads: every verified record matching the filters, streamed.

Rows are read in chunks, each with its related rows prefetched, so memory stays flat and the
number of queries grows only by a constant per chunk, never per row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

from curation.dates import PartialDate
from curation.models import Agreement, Record
from curation.spreadsheets.writing import CONTENT_TYPES, attachment, csv_lines

CHUNK = 2000
CSV_COLUMNS = {
    "agreement": [
        "reference",
        "title_en",
        "title_original",
        "kind",
        "date_signed",
        "place",
        "parties",
        "fields",
        "summary",
        "sources",
        "quotes",
    ],
    "project": [
        "reference",
        "title_en",
        "title_original",
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
        "sources",
        "quotes",
    ],
}


def dated(value: str) -> dict | None:
    if not value:
        return None
    return {"value": value, "precision": PartialDate.parse(value).precision}


def citation_data(citation) -> dict:
    source = citation.source
    return {
        "quote": citation.quote,
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
            "role": link.role,
        }
        for link in links
    ]


def record_data(record: Record) -> dict:
    data = {
        "reference": record.reference,
        "url": record.get_absolute_url(),
        "title_en": record.title_en,
        "title_original": record.title_original,
        "original_language": record.original_language,
        "kind": record.kind,
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
    return data


def csv_row(data: dict) -> dict[str, str]:
    """Flatten one record's data into spreadsheet cells: lists joined with "; "."""
    organizations = data.get("parties", data.get("participants", []))
    row = {
        "reference": data["reference"],
        "title_en": data["title_en"],
        "title_original": data["title_original"],
        "kind": data["kind"],
    }
    if "date_signed" in data:
        row |= {"date_signed": (data["date_signed"] or {}).get("value", ""), "place": data["place"]}
        row["parties"] = "; ".join(f"{o['name']} ({o['role']})" for o in organizations)
    else:
        row |= {
            "start": (data["start"] or {}).get("value", ""),
            "end": (data["end"] or {}).get("value", ""),
            "location": data["location"],
            "budget_amount": (data["budget"] or {}).get("amount", ""),
            "budget_currency": (data["budget"] or {}).get("currency", ""),
            "participants": "; ".join(f"{o['name']} ({o['role']})" for o in organizations),
            "agreements": "; ".join(data["agreements"]),
        }
    row |= {
        "fields": "; ".join(data["fields"]),
        "summary": data["summary"],
        "sources": "; ".join(sorted({c["source"]["reference"] for c in data["citations"]})),
        "quotes": " | ".join(c["quote"] for c in data["citations"]),
    }
    return {key: str(value) for key, value in row.items()}


def _records(queryset) -> Iterator[dict]:
    for record in queryset.iterator(chunk_size=CHUNK):
        yield record_data(record)


def csv_response(queryset, filename: str) -> StreamingHttpResponse:
    headers = CSV_COLUMNS[queryset.model._meta.model_name]
    rows = (csv_row(data) for data in _records(queryset))
    response = StreamingHttpResponse(csv_lines(headers, rows), content_type=CONTENT_TYPES["csv"])
    return attachment(response, filename, "csv")


def json_response(queryset, filename: str) -> StreamingHttpResponse:
    def chunks() -> Iterable[str]:
        yield '{"results": ['
        for index, data in enumerate(_records(queryset)):
            yield ("," if index else "") + "\n" + json.dumps(data, ensure_ascii=False)
        yield "\n]}\n"

    response = StreamingHttpResponse(chunks(), content_type=CONTENT_TYPES["json"])
    return attachment(response, filename, "json")
