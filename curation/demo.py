"""Synthetic but realistic records for benchmarks and load tests (generate_demo)."""

from __future__ import annotations

import random
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from curation.accounts import ensure_user
from curation.models import (
    Agreement,
    AgreementParty,
    Citation,
    FieldOfCooperation,
    Organization,
    Publication,
    Source,
    Status,
)
from curation.models.references import allocate_references
from curation.roles import EDITORS, REVIEWERS
from curation.text import fold_for_search, sha256_hex

COUNTRIES = {
    "VN": ("Vietnam", "Việt Nam"),
    "RU": ("Russia", "Россия"),
    "FR": ("France", "France"),
    "CU": ("Cuba", "Cuba"),
    "US": ("United States", ""),
    "JP": ("Japan", "日本"),
    "DE": ("Germany", "Deutschland"),
    "CN": ("China", "中国"),
    "IN": ("India", "भारत"),
    "KR": ("South Korea", "대한민국"),
    "HU": ("Hungary", "Magyarország"),
    "AR": ("Argentina", ""),
}
FIELDS = [
    "Nuclear energy",
    "Biotechnology",
    "New materials",
    "Space technology",
    "Vaccines",
    "Marine science",
    "Information technology",
    "Agriculture",
    "Energy",
    "Education",
]
KINDS = [
    Agreement.Kind.MOU,
    Agreement.Kind.COOPERATION_AGREEMENT,
    Agreement.Kind.INTERGOVERNMENTAL,
    Agreement.Kind.ACTION_PLAN,
    Agreement.Kind.STRATEGIC_PARTNERSHIP,
]
TOPICS = [
    "joint research",
    "technology transfer",
    "training of researchers",
    "a research centre",
    "data exchange",
    "innovation hubs",
    "laboratory equipment",
    "doctoral exchanges",
]
SENTENCES_PER_SOURCE = 50


def _reference_data():
    organizations = []
    for code, (name, original) in COUNTRIES.items():
        state, _ = Organization.objects.get_or_create(
            name=name, defaults={"name_original": original, "kind": "state", "country": code}
        )
        ministry, _ = Organization.objects.get_or_create(
            name=f"Ministry of Science ({name})",
            defaults={"kind": "ministry", "country": code, "acronym": f"MS-{code}"},
        )
        organizations += [state, ministry]
    fields = [_field(name) for name in FIELDS]
    return organizations, fields


def _field(name: str) -> FieldOfCooperation:
    """The vocabulary's entry for name, also when the seed dataset spelt it differently."""
    slug = name.lower().replace(" ", "-")
    existing = FieldOfCooperation.objects.filter(Q(name__iexact=name) | Q(slug=slug)).first()
    return existing or FieldOfCooperation.objects.create(name=name, slug=slug)


def generate_agreements(
    count: int,
    *,
    seed: int = 1,
    batch: int = 5000,
    progress: Callable[[int], None] = lambda done: None,
) -> None:
    """Create count verified agreements, each with 2-3 parties, 1-3 fields and a found quote."""
    rng = random.Random(seed)
    editor = ensure_user("demo-editor", [EDITORS])
    reviewer = ensure_user("demo-reviewer", [REVIEWERS])
    organizations, fields = _reference_data()
    now = timezone.now()
    done = 0
    while done < count:
        size = min(batch, count - done)
        with transaction.atomic():
            _batch(rng, size, organizations, fields, editor, reviewer, now)
        done += size
        progress(done)
    Publication.bump()


def _batch(rng, size, organizations, fields, editor, reviewer, now):
    texts, quotes = [], []
    for _ in range((size + SENTENCES_PER_SOURCE - 1) // SENTENCES_PER_SOURCE):
        sentences = [
            f"In {rng.randint(1960, 2025)} the partners signed an agreement on "
            f"{rng.choice(TOPICS)} number {rng.randint(1, 10**9)}."
            for _ in range(SENTENCES_PER_SOURCE)
        ]
        texts.append(" ".join(sentences))
        quotes.append(sentences)
    source_refs = allocate_references(Source, len(texts))
    sources = Source.objects.bulk_create(
        [
            Source(
                reference=ref,
                title=f"Demo report {ref}",
                publisher="Demo news",
                captured_text=text,
                text_sha256=sha256_hex(text),
                search_text=fold_for_search(f"{ref} demo report"),
                captured_at=now,
            )
            for ref, text in zip(source_refs, texts, strict=True)
        ]
    )
    references = allocate_references(Agreement, size)
    records, party_sets = [], []
    for reference in references:
        parties = rng.sample(organizations, rng.randint(2, 3))
        year = rng.randint(1955, 2025)
        date = rng.choice(
            [
                f"{year}",
                f"{year}-{rng.randint(1, 12):02d}",
                f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            ]
        )
        title = f"Agreement on {rng.choice(TOPICS)} between " + " and ".join(
            p.name for p in parties
        )
        names = " ".join(f"{p.name} {p.name_original} {p.acronym}" for p in parties)
        records.append(
            Agreement(
                reference=reference,
                title_en=title,
                kind=rng.choice(KINDS),
                date_signed=date,
                status=Status.VERIFIED,
                last_edited_by=editor,
                verified_by=reviewer,
                verified_at=now,
                search_text=fold_for_search(f"{reference} {title} {names}"),
                search_title=fold_for_search(title),
            )
        )
        party_sets.append(parties)
    Agreement.objects.bulk_create(records)
    links, field_links, citations = [], [], []
    through = Agreement.fields.through
    for index, (record, parties) in enumerate(zip(records, party_sets, strict=True)):
        links += [AgreementParty(agreement=record, organization=party) for party in parties]
        field_links += [
            through(agreement=record, fieldofcooperation=field)
            for field in rng.sample(fields, rng.randint(1, 3))
        ]
        source, sentence = sources[index // SENTENCES_PER_SOURCE], index % SENTENCES_PER_SOURCE
        quote = quotes[index // SENTENCES_PER_SOURCE][sentence]
        start = source.captured_text.index(quote)
        citations.append(
            Citation(
                agreement=record,
                source=source,
                quote=quote,
                supports=["title", "date_signed", "parties"],
                quote_found=True,
                quote_start=start,
                quote_end=start + len(quote),
            )
        )
    AgreementParty.objects.bulk_create(links)
    through.objects.bulk_create(field_links)
    Citation.objects.bulk_create(citations)
