"""The public data downloads: every verified record matching the filters, streamed.

Records are read in chunks; each chunk's related rows (parties, fields, citations) are read as
plain values in one query per kind, not as model instances. Memory stays flat, and the number
of queries grows by a constant per chunk, never per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import quote

import orjson
from django.db.models import Prefetch, TextField
from django.db.models.functions import Cast
from django.http import StreamingHttpResponse
from django.urls import reverse

from curation.cells import neutralise
from curation.dates import PartialDate
from curation.models import Agreement, Citation, Organization, Project, Source
from curation.resources import RESOURCES, record_chunks
from curation.roles import verifier_roles
from curation.spreadsheets.formats import CSV
from curation.spreadsheets.widgets import english_labels, join_list

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}
# The curators' sheet columns (curation/resources.py), less what the public has no use for,
# plus the evidence. Relations are left out: they may point at records not yet public.
PRIVATE_COLUMNS = {"status", "relations", "version"}  # version counts unpublished saves too


URL_SAFE = "!$&'()*+,;=/~:@"  # as reverse() leaves them in a path

# Appended to the curators' columns; "found" says, quote by quote, whether it is in its source.
EVIDENCE_COLUMNS = ["sources", "quotes", "found", "verified_at", "verified_by"]


def citations_prefetch() -> Prefetch:
    # A source's captured text can be long and is not shown beside a citation: leave it.
    sources = Citation.objects.select_related("source").defer(
        "source__captured_text", "source__search_text"
    )
    return Prefetch("citations", queryset=sources)


def links_prefetch(model) -> Prefetch:
    """A record's party or participant links with their organizations, in one query, in the
    order they were entered (as the lists and the downloads give them)."""
    link = model._meta.get_field(model.LINKS)
    links = link.related_model.objects.select_related("organization").order_by("pk")
    # What a record's page shows of them: a link to each organization, named, and its role.
    shown = ["role", "organization__reference", "organization__name", "organization__acronym"]
    return Prefetch(model.LINKS, links.only(link.field.name, *shown))


def with_related(model, queryset):
    """Records with the rows their pages show, prefetched."""
    return queryset.prefetch_related(links_prefetch(model), "fields", citations_prefetch())


def csv_headers(resource) -> list[str]:
    return [h for h in resource.headers if h not in PRIVATE_COLUMNS] + EVIDENCE_COLUMNS


@lru_cache(maxsize=4096)  # the same dates recur record after record
def _precision(value: str) -> str:
    return PartialDate.parse(value).precision


def dated(value: str) -> dict | None:
    return {"value": value, "precision": _precision(value)} if value else None


def related_of(model, pks: Iterable[int]) -> dict[str, dict[int, list]]:
    """What the JSON download shows beside each of these records (fields, organizations,
    citations and, for projects, the public agreements they implement), by kind, then by
    record; in one query each, plus one for the organizations and one for the sources they
    name: each of those is read and built once, however many records name it."""
    related = {kind: defaultdict(list) for kind in RELATED}
    pks = set(pks)  # see Among: a set is sent whole, not walked item by item
    owner = f"{model._meta.model_name}_id"
    fields = model._meta.get_field("fields").remote_field.through.objects
    for pk, name in (
        fields.filter(**{f"{owner}__among": pks})
        .order_by("fieldofcooperation__name")
        .values_list(owner, "fieldofcooperation__name")
    ):
        related["fields"][pk].append(name)
    links = model._meta.get_field(model.LINKS).related_model.objects
    links = list(
        links.filter(**{f"{owner}__among": pks})
        .order_by("pk")
        .values_list(owner, "organization_id", "role")
    )
    organizations = _organizations({organization for _, organization, _ in links})
    named = {  # each organization in each role built once, shared by the records naming it
        (organization, role): {**organizations[organization], "role": role}
        for _, organization, role in links
    }
    for pk, organization, role in links:
        related["organizations"][pk].append(named[organization, role])
    citations = list(
        Citation.objects.filter(**{f"{owner}__among": pks})
        .order_by("pk")
        .values_list(owner, "source_id", *CITATION_VALUES, SUPPORTS_JSON)
    )
    sources = _sources({source for _, source, *_ in citations})
    for pk, source, *values, supports in citations:
        related["citations"][pk].append(
            dict(
                zip(CITATION_KEYS, values, strict=True),
                supports=orjson.Fragment(supports),
                source=sources[source],
            )
        )
    if model is Project:
        implemented = model._meta.get_field("agreements").remote_field.through.objects
        for pk, reference in (
            implemented.filter(project_id__among=pks, agreement__in=Agreement.objects.public())
            .order_by("-agreement__date_signed", "agreement__reference")
            .values_list("project_id", "agreement__reference")
        ):
            related["agreements"][pk].append(reference)
    return related


def _organizations(ids: set[int]) -> dict[int, dict]:
    """Each organization as a record's JSON names it (less the role), by id."""
    organizations = Organization.objects.filter(pk__among=ids).values_list(
        "pk", "reference", "name", "acronym", "country", "wikidata_id", "ror_id"
    )
    return {
        pk: {
            "reference": reference,
            "name": name,
            "acronym": acronym,
            "country": country,
            "same_as": Organization.addresses(wikidata_id, ror_id),
        }
        for pk, reference, name, acronym, country, wikidata_id, ror_id in organizations
    }


def _sources(ids: set[int]) -> dict[int, dict]:
    """Each source as a citation's JSON names it, by id."""
    sources = Source.objects.filter(pk__among=ids).values_list("pk", *SOURCE_VALUES)
    return {
        pk: {
            "reference": reference,
            "title": title,
            "publisher": publisher,
            "url": url,
            "published_on": dated(published_on),
        }
        for pk, reference, title, publisher, url, published_on in sources
    }


RELATED = ["fields", "organizations", "citations", "agreements"]  # related_of's kinds
# A citation's values, and the keys its JSON gives them.
CITATION_VALUES = ["quote", "quote_found", "translation", "is_inferred", "inference"]
CITATION_KEYS = ["quote", "found", "translation", "inferred", "inference"]
# What a citation supports, a JSON list as the database holds it: written into the download
# as it is (orjson.Fragment) rather than parsed and encoded again for every citation.
SUPPORTS_JSON = Cast("supports", TextField())
SOURCE_VALUES = ["reference", "title", "publisher", "url", "published_on"]


RECORD_VALUES = ["id", "reference", "title_en", "title_original", "original_language"]
RECORD_VALUES += ["kind", "summary"]
JSON_VALUES = {
    Agreement: [*RECORD_VALUES, "date_signed", "place", "signed_by"],
    Project: [*RECORD_VALUES, "start", "end", "location", "budget_amount", "budget_currency"],
}
# When and by whom a record was verified. The instant is read as the database's text and
# written in ISO 8601 from that (_instant): a datetime parsed for each row was a tenth of a
# download's time on PostgreSQL.
VERIFICATION = {"verified": Cast("verified_at", TextField())}


def record_data(model, row: dict, related: dict, roles: dict[int, str], url: str) -> dict:
    """A record (its JSON_VALUES) as the JSON download gives it, at its page's whole url;
    related is related_of() its chunk."""
    pk = row["id"]
    data = {
        "reference": row["reference"],
        "url": url,
        "title_en": row["title_en"],
        "title_original": row["title_original"],
        "original_language": row["original_language"],
        "kind": row["kind"],
        "kind_label": english_labels(model.Kind)[row["kind"]],  # as in the CSV
        "summary": row["summary"],
        "fields": related["fields"].get(pk, ()),
    }
    if model is Agreement:
        data |= {
            "date_signed": dated(row["date_signed"]),
            "place": row["place"],
            "signed_by": row["signed_by"],
            "parties": related["organizations"].get(pk, ()),
        }
    else:
        data |= {
            "start": dated(row["start"]),
            "end": dated(row["end"]),
            "location": row["location"],
            "budget": (
                {"amount": str(row["budget_amount"]), "currency": row["budget_currency"]}
                if row["budget_amount"] is not None
                else None
            ),
            "participants": related["organizations"].get(pk, ()),
            "agreements": related["agreements"].get(pk, ()),
        }
    data["citations"] = related["citations"].get(pk, ())
    data |= verification(row, roles)
    return data


def verification(row: dict, roles: dict[int, str]) -> dict[str, str]:
    return {
        "verified_at": _instant(row["verified"]) if row["verified"] else "",
        "verified_by": roles[row["verified_by_id"]] if row["verified_by_id"] else "",
    }


@lru_cache(maxsize=4096)  # a verification by the batch stamps its records alike
def _instant(text: str) -> str:
    """A stored instant (UTC: "2025-03-01 09:30:00.5+00", or naive on SQLite) as
    datetime.isoformat() writes it ("2025-03-01T09:30:00.500000+00:00")."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=moment.tzinfo or UTC).isoformat()


def csv_rows(resource, queryset, columns: list[str]) -> Iterator[list[str]]:
    """The curators' columns as their sheets write them, then the evidence; all neutralised.

    Read as the admin's export reads them, a chunk at a time with one query per list column,
    as plain values (no model instance per record, party or citation), plus one query for the
    chunk's citations and, for projects, one for which of the agreements they implement are
    public."""
    roles = verifier_roles()
    owner = f"{queryset.model._meta.model_name}_id"
    values = queryset.values(*resource.row_values(columns), "verified_by_id", **VERIFICATION)
    for chunk in resource.chunks(values, columns):
        pks = {row["id"] for row in chunk}  # see Among: a set, sent whole
        cited = defaultdict(list)
        citations = Citation.objects.filter(**{f"{owner}__among": pks}).order_by("pk")
        for pk, *citation in citations.values_list(
            owner, "source__reference", "quote", "quote_found"
        ):
            cited[pk].append(citation)
        if "agreements" in columns:
            _only_public_agreements(chunk)
        for row in chunk:
            yield resource.export_resource(row, columns) + _evidence(
                cited.get(row["id"], ()), row, roles
            )


def _evidence(cited, row: dict, roles: dict[int, str]) -> list[str]:
    """The EVIDENCE_COLUMNS of a record from its citations (source, quote, found), neutralised."""
    verified = verification(row, roles)
    cells = [
        join_list({source for source, _, _ in cited}),
        " | ".join(quote for _, quote, _ in cited),
        " | ".join("yes" if found else "no" for _, _, found in cited),
        verified["verified_at"],
        verified["verified_by"],
    ]
    return [neutralise(cell) for cell in cells]


def _only_public_agreements(projects: list[dict]) -> None:
    """A download names only the public agreements a project implements."""
    named = {ref for project in projects for ref in project["agreements"]}
    public = set(
        Agreement.objects.public().filter(reference__in=named).values_list("reference", flat=True)
    )
    for project in projects:
        project["agreements"] = [ref for ref in project["agreements"] if ref in public]


def _records(queryset, site: str) -> Iterator[dict]:
    """The records as JSON objects, read a chunk at a time with a few queries per chunk."""
    model, roles = queryset.model, verifier_roles()
    url_of = record_urls(model, site)
    for chunk in record_chunks(
        queryset.values(*JSON_VALUES[model], "verified_by_id", **VERIFICATION)
    ):
        related = related_of(model, [row["id"] for row in chunk])
        for row in chunk:
            yield record_data(model, row, related, roles, url_of(row["reference"]))


def record_urls(model, site: str):
    """A function from a reference to the whole address of its record's page: reverse() once,
    not once per record."""
    marker = "REFERENCE"
    page = reverse(f"curation:{model._meta.model_name}-detail", args=[marker])
    head, tail = site.rstrip("/") + page.split(marker)[0], page.split(marker)[1]
    return lambda reference: head + quote(reference, safe=URL_SAFE) + tail


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
    def chunks() -> Iterable[bytes]:
        parts, size = [b'{"results": ['], 0
        for index, data in enumerate(_records(queryset, site)):
            # orjson: UTF-8 as the standard library writes it with ensure_ascii=False, and
            # five times quicker, which is half of the download's time
            part = (b",\n" if index else b"\n") + orjson.dumps(data)
            parts.append(part)
            size += len(part)
            if size >= CSV.BUFFER:  # one write per 64 KiB, not per record
                yield b"".join(parts)
                parts, size = [], 0
        parts.append(b"\n]}\n")
        yield b"".join(parts)

    response = StreamingHttpResponse(chunks(), content_type=CONTENT_TYPES["json"])
    return attachment(response, filename, "json")
