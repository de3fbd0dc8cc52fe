"""Verified citations as W3C Web Annotations: each quote is a selection of its source's captured
text (https://www.w3.org/TR/annotation-model/), served as JSON-LD that any annotation tool
can re-anchor.

The target is the captured text as served at /sources/<ref>/text.txt, so the selectors hold
whatever happens to the original page. Positions count Unicode code points, as Python's
string indices do and as TextPositionSelector requires.
"""

from __future__ import annotations

from curation.models import Citation, Record, Source

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
CONTENT_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
# Enough text either side for a tool to tell one occurrence of a short quote from another.
AFFIX_LENGTH = 32


def public_citations():
    """Citations of verified records; only those whose quote was found in the source are
    annotations (the others have no place in the text)."""
    return (
        Citation.objects.public()
        .select_related("source", "agreement", "project")
        .order_by("source_id", "quote_start", "pk")
    )


def text_url(source: Source, site: str) -> str:
    return f"{site}/sources/{source.reference}/text.txt"


def annotation(citation: Citation, site: str) -> dict:
    source, record = citation.source, citation.record
    text, start, end = source.captured_text, citation.quote_start, citation.quote_end
    bodies = [
        {
            "type": "SpecificResource",
            "source": site + record.get_absolute_url(),
            "purpose": "linking",
        },
        _text_body(
            "describing",
            f"Supports {record.reference}: {', '.join(citation.supported_labels())}.",
        ),
    ]
    if citation.translation:
        bodies.append(_text_body("describing", citation.translation))
    if citation.is_inferred:
        bodies.append(_text_body("commenting", f"Inferred: {citation.inference}"))
    return {
        "id": f"{collection_url(source, site)}#citation-{citation.pk}",
        "type": "Annotation",
        "motivation": "linking",
        "body": bodies,
        "target": {
            "type": "SpecificResource",
            "source": {
                "id": text_url(source, site),
                "type": "Text",
                "format": "text/plain",
                "language": source.language,
            },
            "scope": source.url or site + source.get_absolute_url(),
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": text[start:end],
                    "prefix": text[max(0, start - AFFIX_LENGTH) : start],
                    "suffix": text[end : end + AFFIX_LENGTH],
                },
                {"type": "TextPositionSelector", "start": start, "end": end},
            ],
        },
    }


def _text_body(purpose: str, value: str) -> dict:
    return {
        "type": "TextualBody",
        "purpose": purpose,
        "value": value,
        "format": "text/plain",
        "language": "en",
    }


def collection_url(source_or_record: Source | Record, site: str) -> str:
    return site + source_or_record.get_absolute_url() + "annotations.jsonld"


def collection(owner: Source | Record, citations, site: str) -> dict:
    """An AnnotationCollection with its one page embedded: a source has a few dozen quotes."""
    url = collection_url(owner, site)
    items = [annotation(citation, site) for citation in citations if citation.quote_found]
    return {
        "@context": CONTEXT,
        "id": url,
        "type": "AnnotationCollection",
        "label": f"Quotes that verified records of coop rest on: {owner}",
        "total": len(items),
        "first": {"id": f"{url}#page-1", "type": "AnnotationPage", "startIndex": 0, "items": items},
    }
