"""A W3C Entity Reconciliation service (https://reconciliation-api.github.io/specs/0.2/), the
protocol OpenRefine speaks: a researcher matches a column of partner names to coop's
organizations, or of titles to its agreements and projects.

Only what the public site shows can be matched: verified records, and the organizations they
name. Names are compared without case or diacritics, word by word, and a word of the query
may stand for the initials of several words of a name, as Vietnamese abbreviations do
("Bộ KH&CN" is "Bộ Khoa học và Công nghệ"). Acronyms match whole ("MOST").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Q
from rapidfuzz import fuzz

from curation.models import Agreement, Organization, Project, Record
from curation.spreadsheets.widgets import english_labels
from curation.text import fold_for_search

TYPES = {
    "organization": "Organization",
    "agreement": "Agreement",
    "project": "Project",
}
PROPERTIES = {
    "country": "Country (ISO 3166 code; a former state counts as its successor)",
    "date": "Date signed (agreements) or start (projects): YYYY, YYYY-MM or YYYY-MM-DD",
}
DEFAULT_LIMIT = 10
MOST_CANDIDATES = 500  # records read per query before scoring
# Small words that names carry or leave out at will, in English and Vietnamese.
STOPWORDS = {"of", "and", "the", "for", "on", "in", "to", "a", "an", "va", "cua", "ve", "cho"}
PROPERTY_MISS = 30  # points a candidate loses for each property it does not have
SURE = 90  # a match is certain at this score when no other candidate comes close
WEAKEST = 30  # candidates scoring less are noise (a few shared letters), not offered


MOST_QUERIES = 100  # a batch (OpenRefine sends 10 at a time)
MOST_WORDS = 40  # of a query: names and titles are shorter; the alignment costs words²


def words(text: str) -> list[str]:
    found = re.findall(r"[a-z0-9]+", fold_for_search(text[:1000]))
    return [w for w in found if w not in STOPWORDS][:MOST_WORDS]


def name_score(query: list[str], name: str) -> float:
    """0-100: how much of the name the query's words cover, in order, a word of the query
    standing for one word of the name, a prefix of it ("min" for "ministry"), or the
    initials of several ("kh" for "khoa hoc"). A qualifier in brackets may be left out."""
    main = words(re.sub(r"\([^)]*\)", " ", name)) or words(name)
    if not query or not main:
        return 0.0
    covered = _best_cover(query, main)
    matched_words, matched_tokens = covered
    return 100 * (matched_words / len(main)) * (matched_tokens / len(query))


def _best_cover(query: list[str], name: list[str]) -> tuple[int, int]:
    """(name words covered, query words used) of the best in-order alignment."""
    n, m = len(query), len(name)
    best = [[(0, 0)] * (m + 1) for _ in range(n + 1)]
    for i in range(n, -1, -1):
        for j in range(m, -1, -1):
            options = []
            if i < n:
                options.append(best[i + 1][j])  # a query word that matches nothing here
            if j < m:
                options.append(best[i][j + 1])  # a name word the query leaves out
            if i < n and j < m:
                token = query[i]
                word = name[j]
                if token == word or (len(token) >= 3 and word.startswith(token)):
                    after = best[i + 1][j + 1]
                    options.append((after[0] + 1, after[1] + 1))
                for k in range(2, min(len(token), m - j) + 1):
                    if "".join(w[0] for w in name[j : j + k]) == token:
                        after = best[i + 1][j + k]
                        options.append((after[0] + k, after[1] + 1))
            best[i][j] = max(options, default=(0, 0))
    return best[0][0]


def similarity(query: str, name: str) -> float:
    """0-100 for near spellings (typos), when the word alignment finds little."""
    return 0.9 * fuzz.ratio(fold_for_search(query), fold_for_search(name))


@dataclass
class Candidate:
    id: str
    name: str
    type: str
    description: str
    names: list[str]
    acronym: str = ""
    countries: set[str] = field(default_factory=set)
    date: str = ""

    def score(self, query: str, properties: dict[str, list[str]]) -> tuple[float, list[dict]]:
        tokens = words(query)
        folded = fold_for_search(query).replace(" ", "")
        if self.acronym and folded == fold_for_search(self.acronym).replace(" ", ""):
            score = 100.0
        else:
            score = max(
                max(name_score(tokens, name), similarity(query, name)) for name in self.names
            )
        features = [{"id": "name", "value": round(score, 1)}]
        for pid, values in properties.items():
            held = any(self.has(pid, value) for value in values)
            features.append({"id": pid, "value": held})
            if not held:
                score -= PROPERTY_MISS
        return max(score, 0.0), features

    def has(self, pid: str, value: str) -> bool:
        if pid == "country":
            return value.strip().upper() in self.countries
        if pid == "date":
            value = value.strip()
            return bool(self.date and value) and (
                self.date.startswith(value) or value.startswith(self.date)
            )
        return False


def organization_candidates() -> list[Candidate]:
    kinds = english_labels(Organization.Kind)
    return [
        Candidate(
            id=o.reference,
            name=str(o),
            type="organization",
            description=" · ".join(filter(None, [kinds[o.kind], o.country])),
            names=[n for n in (o.name, o.name_original) if n],
            acronym=o.acronym,
            countries={c for c in (o.country, o.lineage_country) if c},
        )
        for o in Organization.objects.public().order_by("name")
    ]


def record_candidates(model, query: str, country: str = "") -> list[Candidate]:
    """Verified records that share a word of three letters or more with the query."""
    words_of_query = [w for w in words(query) if len(w) >= 3]
    if not words_of_query:
        return []
    any_word = Q()
    for word in words_of_query:
        any_word |= Q(search_text__contains=word)
    records = list(model.objects.public().filter(any_word).order_by("reference")[:MOST_CANDIDATES])
    in_country = set()
    if country and records:
        candidates = model.objects.filter(pk__in=[record.pk for record in records])
        in_country = set(candidates.in_countries([country.upper()]).values_list("pk", flat=True))
    kinds = english_labels(model.Kind)
    date_field = model.DATE_FIELD
    return [
        Candidate(
            id=record.reference,
            name=record.title_en,
            type=model._meta.model_name,
            description=" · ".join(filter(None, [kinds[record.kind], getattr(record, date_field)])),
            names=[n for n in (record.title_en, record.title_original) if n],
            countries={country.upper()} if record.pk in in_country else set(),
            date=getattr(record, date_field),
        )
        for record in records
    ]


def properties_of(query: dict) -> dict[str, list[str]]:
    properties: dict[str, list[str]] = {}
    items = query.get("properties")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        values = item.get("v")
        values = values if isinstance(values, list) else [values]
        texts = [
            v.get("id", "") if isinstance(v, dict) else str(v) for v in values if v is not None
        ]
        properties.setdefault(str(item.get("pid", "")), []).extend(t for t in texts if t)
    return properties


def answer(batch: dict) -> dict:
    """The results of a batch of queries, keyed as the batch is."""
    organizations = None
    results = {}
    for key, query in batch.items():
        text = str(query.get("query", ""))
        types = query.get("type") or list(TYPES)
        types = [types] if isinstance(types, str) else types
        types = [t for t in types if isinstance(t, str)] if isinstance(types, list) else list(TYPES)
        properties = properties_of(query)
        country = (properties.get("country") or [""])[0]
        candidates: list[Candidate] = []
        if "organization" in types:
            if organizations is None:  # read once per batch
                organizations = organization_candidates()
            candidates += organizations
        for model in (Agreement, Project):
            if model._meta.model_name in types:
                candidates += record_candidates(model, text, country)
        results[key] = {"result": ranked(candidates, text, properties, limit_of(query))}
    return results


def limit_of(query: dict) -> int:
    try:
        return max(1, min(int(query.get("limit") or DEFAULT_LIMIT), 100))
    except (TypeError, ValueError):
        return DEFAULT_LIMIT


def ranked(candidates, text, properties, limit) -> list[dict]:
    scored = []
    for candidate in candidates:
        score, features = candidate.score(text, properties)
        if score >= WEAKEST:
            scored.append((score, candidate, features))
    scored.sort(key=lambda item: (-item[0], item[1].name))
    results = []
    for index, (score, candidate, features) in enumerate(scored[:limit]):
        runner_up = scored[1][0] if len(scored) > 1 else 0
        sure = index == 0 and score >= SURE and score - runner_up >= 10
        results.append(
            {
                "id": candidate.id,
                "name": candidate.name,
                "description": candidate.description,
                "score": round(score, 1),
                "match": sure,
                "type": [{"id": candidate.type, "name": TYPES[candidate.type]}],
                "features": features,
            }
        )
    return results


def suggest(prefix: str, types: list[str]) -> list[dict]:
    """Entities whose name, original name or acronym contains the prefix, starts first."""
    folded = fold_for_search(prefix)
    if not folded:
        return []
    found = []
    if "organization" in types:
        for candidate in organization_candidates():
            names = [fold_for_search(n) for n in [*candidate.names, candidate.acronym] if n]
            if any(folded in n for n in names):
                found.append((not any(n.startswith(folded) for n in names), candidate))
    for model in (Agreement, Project):
        if model._meta.model_name in types:
            for candidate in record_candidates(model, prefix):
                names = [fold_for_search(n) for n in candidate.names]
                if any(folded in n for n in names):
                    found.append((not any(n.startswith(folded) for n in names), candidate))
    found.sort(key=lambda item: (item[0], item[1].name))
    return [
        {
            "id": c.id,
            "name": c.name,
            "description": c.description,
            "notable": [{"id": c.type, "name": TYPES[c.type]}],
        }
        for _, c in found[:DEFAULT_LIMIT]
    ]


def entity(reference: str) -> Organization | Record | None:
    """The public organization or record with this reference, or None."""
    prefix = reference.split("-", 1)[0]
    model = {"ORG": Organization, "AGR": Agreement, "PRJ": Project}.get(prefix)
    if model is None:
        return None
    return model.objects.public().filter(reference=reference).first()


def manifest(site: str) -> dict:
    return {
        "versions": ["0.2"],
        "name": "coop: verified records of science and technology cooperation",
        "identifierSpace": site + "/",
        "schemaSpace": site + "/reconcile/#types",
        "view": {"url": site + "/reconcile/view/{{id}}"},
        "preview": {"url": site + "/reconcile/preview/{{id}}", "width": 420, "height": 160},
        "suggest": {
            "entity": {"service_url": site, "service_path": "/reconcile/suggest/entity"},
            "property": {"service_url": site, "service_path": "/reconcile/suggest/property"},
            "type": {"service_url": site, "service_path": "/reconcile/suggest/type"},
        },
        "defaultTypes": [{"id": id, "name": name} for id, name in TYPES.items()],
    }


def suggest_named(vocabulary: dict[str, str], prefix: str) -> list[dict]:
    folded = fold_for_search(prefix)
    return [
        {"id": id, "name": name}
        for id, name in vocabulary.items()
        if folded in fold_for_search(f"{id} {name}")
    ]
