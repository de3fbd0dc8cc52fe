"""Agreements that look like one already recorded: the same parties (a former state counts as
its successor), dates within a year of each other, and alike titles in either language. The
same agreement reported by two sources should be one record with two citations.

The check is set-based: existing agreements are grouped by their parties once, so an import
of thousands of rows costs a few queries and a comparison with the few agreements of the
same parties, not a query per row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import chain

from rapidfuzz import fuzz, process

from curation.models import AgreementParty, Organization
from curation.text import fold_for_search

TITLES_ALIKE = 0.8  # ratio of the folded titles (2 × matches / length); docs/duplicates.md


@dataclass
class Sketch:
    """What the check compares of an agreement, recorded or about to be."""

    title_en: str
    title_original: str
    date_signed: str
    parties: frozenset[int]  # organizations' pks, each replaced by its last successor
    reference: str = ""
    label: str = ""  # how a row of a sheet is named, for agreements not yet recorded

    def __post_init__(self):
        self._titles = None
        self.months = months_of(self.date_signed)

    @property
    def titles(self) -> list[str]:
        """Folded once, when first needed."""
        if self._titles is None:
            self._titles = [fold_for_search(t) for t in (self.title_en, self.title_original) if t]
        return self._titles

    def year(self) -> int | None:
        return self.months[0] // 12 if self.months else None


def months_of(date: str) -> tuple[int, int] | None:
    """The first and last month a partial date may mean (counted from year 0), or None if it
    is unknown: months are fine enough for "within a year", and cheap to read in bulk."""
    try:
        year = int(date[:4])
        if len(date) < 7:
            return year * 12, year * 12 + 11
        month = year * 12 + int(date[5:7]) - 1
    except ValueError:
        return None
    return month, month


def years_near(year: int) -> range:
    """The years of the dates that may be within a year of one in year: 12 months or less
    apart reaches at most into the year before or the year after."""
    return range(year - 1, year + 2)


@dataclass
class Bucket:
    """The agreements of one set of parties and one year, with their folded titles side by
    side, so that a draft's titles are compared with a whole bucket in one RapidFuzz call."""

    titles: list[str] = field(default_factory=list)
    owners: list[Sketch] = field(default_factory=list)  # the sketch of each title

    def append(self, sketch: Sketch) -> None:
        self.titles += sketch.titles
        self.owners += [sketch] * len(sketch.titles)


class Register:
    """The recorded agreements whose parties are among those of the drafts to check."""

    def __init__(self, organization_sets: list[list[int]]):
        successors = dict(
            Organization.objects.filter(successor__isnull=False).values_list("pk", "successor")
        )
        self.successors = successors
        wanted_sets = {frozenset(map(self.last, orgs)) for orgs in organization_sets if orgs}
        wanted = set().union(*wanted_sets)
        # predecessors count too: an agreement of the Soviet Union is one of Russia's
        related = sorted(wanted | {pk for pk in successors if self.last(pk) in wanted})
        involved = AgreementParty.objects.filter(organization__in=related).values("agreement")
        parties, known = defaultdict(set), {}  # all the parties of each, not only those asked
        links = AgreementParty.objects.filter(agreement__in=involved).values_list(
            "organization",
            "agreement",
            "agreement__reference",
            "agreement__title_en",
            "agreement__title_original",
            "agreement__date_signed",
        )
        for organization, agreement, *sketched in links:
            parties[agreement].add(self.last(organization))
            known[agreement] = sketched
        self.by_parties: dict[frozenset[int], dict[int | None, Bucket]] = defaultdict(
            lambda: defaultdict(Bucket)
        )
        for agreement, members in parties.items():
            if (key := frozenset(members)) in wanted_sets:
                reference, title_en, title_original, date = known[agreement]
                self.add(Sketch(title_en, title_original, date, key, reference=reference))

    def last(self, pk: int) -> int:
        seen = {pk}
        while pk in self.successors and self.successors[pk] not in seen:
            pk = self.successors[pk]
            seen.add(pk)
        return pk

    def sketch(self, title_en, title_original, date_signed, organizations, label="") -> Sketch:
        parties = frozenset(self.last(pk) for pk in organizations)
        return Sketch(title_en, title_original, date_signed, parties, label=label)

    def look_alikes(self, draft: Sketch, exclude: str = "") -> list[Sketch]:
        if not draft.parties or draft.parties not in self.by_parties:
            return []
        by_year = self.by_parties[draft.parties]
        year = draft.year()
        years = list(by_year) if year is None else [None, *years_near(year)]
        buckets = [by_year[y] for y in years if y in by_year]
        titles = list(chain.from_iterable(bucket.titles for bucket in buckets))
        owners = list(chain.from_iterable(bucket.owners for bucket in buckets))
        found = {}  # in the order of the buckets; a sketch whose two titles both match, once
        for index in sorted(alike_titles(draft.titles, titles)):
            known = owners[index]
            if not (exclude and known.reference == exclude) and dates_near(draft, known):
                found[id(known)] = known
        return list(found.values())

    def add(self, draft: Sketch) -> None:
        """Count a draft (a new row of a sheet) among the known, for the rows after it."""
        if draft.parties:
            self.by_parties[draft.parties][draft.year()].append(draft)


def dates_near(a: Sketch, b: Sketch) -> bool:
    """Within a year of each other, to the month; an unknown date may be any."""
    if a.months is None or b.months is None:
        return True
    return a.months[0] - 12 <= b.months[1] and b.months[0] - 12 <= a.months[1]


def alike_titles(mine: list[str], titles: list[str]) -> set[int]:
    """The indexes of the titles alike one of mine, in either language: RapidFuzz's ratio
    (difflib's measure, in C++), over the whole list in one call per title of mine."""
    cutoff = 100 * TITLES_ALIKE
    return {
        index
        for title in mine
        for _, _, index in process.extract(
            title, titles, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
        )
    }


def differences(draft: Sketch, known: Sketch) -> list[str]:
    """What the reader should compare: the fields that are not the same."""
    said = []
    for name, label in (("title_en", "title"), ("title_original", "original title")):
        mine, theirs = getattr(draft, name), getattr(known, name)
        if mine != theirs and (mine or theirs):
            said.append(f"{label} “{theirs or '—'}” (here “{mine or '—'}”)")
    if draft.date_signed != known.date_signed:
        said.append(
            f"signed {known.date_signed or 'on an unknown date'} "
            f"(here {draft.date_signed or 'unknown'})"
        )
    return said or ["nothing: the same title, date and parties"]


def warning(draft: Sketch, known: Sketch) -> str:
    name = known.reference or known.label
    advice = (
        f"add the source as a citation of {known.reference} instead of a new record"
        if known.reference
        else "keep one of the two rows, with both sources cited"
    )
    return (
        f"Looks like {name}: the same parties, dates within a year, alike titles. It differs in "
        f"{'; '.join(differences(draft, known))}. If it is the same agreement, {advice}."
    )
