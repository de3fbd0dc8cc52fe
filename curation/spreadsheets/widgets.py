"""django-import-export widgets for coop's cells: how each column is read and written.

clean() turns a cell's text into what the model holds, or raises ValueError with a message
for the editor (CellProblems for a list cell with several bad items). render() writes the
value as the cell an editor reads. canonical() is how a cell compares with an exported one,
so that an unchanged sheet is reported unchanged, whichever program saved it.
Widgets that name other records look them up in the import's Lookups (passed as lookups=).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, lru_cache

from django.core.exceptions import ValidationError
from django.utils import translation
from import_export import widgets

from curation.dates import PartialDate
from curation.rules import as_stored, check_text, parse_amount, text_problem
from curation.text import fold_for_search

SEPARATOR = "; "
_ROLE = re.compile(r"^(?P<name>.*\S)\s*\((?P<role>[^()]*)\)$")


class CellProblems(ValueError):
    """Several items of one list cell are wrong: (item, message) for each."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(message for _, message in problems))


def split_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def join_list(items) -> str:
    return SEPARATOR.join(sorted(items))


@lru_cache(maxsize=20_000)  # the same lists repeat row after row
def _canonical_list(text: str) -> str:
    return join_list(split_list(text))


@dataclass
class Lookups:
    """Everything a sheet's cells refer to, loaded once per import in a few queries."""

    organizations: dict[str, list] = field(default_factory=dict)
    fields: dict[str, object] = field(default_factory=dict)
    agreements: dict[str, object] = field(default_factory=dict)
    sources: dict[str, object] = field(default_factory=dict)
    projects: dict[str, object] = field(default_factory=dict)
    unknown_organizations: set[str] = field(default_factory=set)
    approved_new: set[str] = field(default_factory=set)
    new_spellings: dict[str, str] = field(default_factory=dict)  # folded name -> first seen

    def new_name(self, name: str) -> str:
        """A name that matches no organization, as first written in the sheet: "Hostile Org"
        and "HOSTILE  org" name one new organization, not two."""
        return self.new_spellings.setdefault(fold_for_search(name), name)

    def add_organization(self, organization) -> None:
        for name in {organization.name, organization.name_original, organization.acronym} - {""}:
            entries = self.organizations.setdefault(fold_for_search(name), [])
            if organization not in entries:
                entries.append(organization)

    def organization(self, name: str):
        """The organization a name means, None if unknown; ValueError if it is ambiguous."""
        found = self.organizations.get(fold_for_search(name), [])
        if len(found) > 1:
            names = " or ".join(o.name for o in found)
            raise ValueError(f"“{name}” could mean {names}: write the full name.")
        return found[0] if found else None


class TextWidget(widgets.CharWidget):
    """Free text. Line endings become \\n and spaces at the ends of lines go, as in the admin's
    forms; verbatim text (a source's captured text) keeps its spaces."""

    def __init__(self, verbatim: bool = False):
        super().__init__(coerce_to_string=True, allow_blank=True)
        self.verbatim = verbatim

    def clean(self, value, row=None, **kwargs) -> str:
        text = self.canonical(value or "")
        if problem := text_problem(text):
            raise ValueError(problem)
        return text

    def render(self, value, obj=None, **kwargs) -> str:
        return "" if value is None else str(value)

    def display(self, text: str) -> str:
        """The cell as it will be stored, for the import preview."""
        return self.canonical(text)

    def canonical(self, text: str) -> str:
        return as_stored(text, self.verbatim)


class PartialDateWidget(TextWidget):
    """A year, a month or a day: 2014, 2014-11 or 2014-11-21."""

    def clean(self, value, row=None, **kwargs) -> str:
        text = (value or "").strip()
        return str(PartialDate.parse(text)) if text else ""

    def canonical(self, text: str) -> str:
        return _canonical_date(text.strip())

    def display(self, text: str) -> str:
        try:
            return f"{self.clean(text)} ({PartialDate.parse(text.strip()).humanize()})"
        except ValueError as error:
            return str(error)


@lru_cache(maxsize=20_000)
def _canonical_date(text: str) -> str:
    try:
        return str(PartialDate.parse(text)) if text else ""
    except ValueError:
        return text


class ChoiceWidget(TextWidget):
    """A choice written as its label ("Memorandum of understanding"); its code is read too."""

    def __init__(self, choices):
        super().__init__()
        self.choices = choices

    def clean(self, value, row=None, **kwargs) -> str:
        text = (value or "").strip()
        if not text:
            return ""
        choice = _folded_choices(self.choices).get(fold_for_search(text))
        if choice is None:
            raise ValueError(f"is not one of: {', '.join(english_labels(self.choices).values())}.")
        return choice

    def render(self, value, obj=None, **kwargs) -> str:
        return english_labels(self.choices).get(value, value) if value else ""

    def canonical(self, text: str) -> str:
        text = text.strip()
        return _folded_choices(self.choices).get(fold_for_search(text), text)

    def display(self, text: str) -> str:
        return self.render(self.canonical(text))


@cache
def _folded_choices(choices) -> dict[str, str]:
    """Folded value and English label of each choice -> value."""
    folded = {}
    for value, label in english_labels(choices).items():
        folded[fold_for_search(value)] = folded[fold_for_search(label)] = value
    return folded


@cache
def english_labels(choices) -> dict[str, str]:
    """Value -> label, in English: sheets and downloads use one vocabulary, whatever the
    language of the page they are made from."""
    with translation.override("en"):
        return {value: str(label) for value, label in choices.choices}


class YesNoWidget(TextWidget):
    YES = {"yes", "y", "true", "1", "có"}

    def clean(self, value, row=None, **kwargs) -> bool:
        return self.canonical(value or "") == "yes"

    def render(self, value, obj=None, **kwargs) -> str:
        return "yes" if value else "no"

    def canonical(self, text: str) -> str:
        return "yes" if text.strip().lower() in self.YES else "no"


class AmountWidget(TextWidget):
    """A budget, read as the admin's form reads it (rules.parse_amount): 1800000, 1800000.50
    or 1,800,000.50."""

    def clean(self, value, row=None, **kwargs) -> Decimal | None:
        return parse_amount(value or "")

    def render(self, value, obj=None, **kwargs) -> str:
        return "" if value is None else f"{value.normalize():f}"

    def canonical(self, text: str) -> str:
        try:
            return self.render(self.clean(text))
        except ValueError:
            return text.strip()


class ListWidget(TextWidget):
    """Several values in one cell, separated by "; ", written sorted so exports compare.

    An export reads a list column for a whole chunk of records in one values query
    (cells_for); render() then joins the texts. Given a related manager instead (a record
    read on its own), it reads the items from it."""

    related = True  # the items are related records (else a list the model holds itself)

    def render(self, value, obj=None, **kwargs) -> str:
        if value is None:
            return ""
        if hasattr(value, "all"):
            value = [self.item_text(item) for item in value.all()]
        return join_list(value)

    def item_text(self, item) -> str:
        return str(item)

    def cells_for(self, model, attribute: str, pks: Iterable[int]):
        """(record pk, item text) for every item of these records' list."""
        raise NotImplementedError

    def canonical(self, text: str) -> str:
        return _canonical_list(text.strip())

    def clean(self, value, row=None, lookups: Lookups | None = None, **kwargs) -> list:
        chosen, problems = [], []
        for item in split_list(value or ""):
            try:
                chosen.append(self.clean_item(item, lookups))
            except ValueError as error:
                problems.append((item, str(error)))
        if problems:
            raise CellProblems(problems)
        return list(dict.fromkeys(chosen))  # an item given twice counts once

    def clean_item(self, item: str, lookups: Lookups):
        raise NotImplementedError


class OrganizationLinksWidget(ListWidget):
    """Parties or participants with their role: "Russia (signatory); Vietnam (signatory)".

    An unknown name is an error until the editor ticks it for creation (lookups.approved_new);
    then it stands as the name, and the import creates the organization."""

    def __init__(self, link_model):
        super().__init__()
        self.link_model = link_model

    def item_text(self, link) -> str:
        return f"{link.organization.name} ({link.role})"

    def cells_for(self, model, attribute, pks):
        link = model._meta.get_field(attribute)
        record = f"{link.field.name}_id"
        links = link.related_model.objects.filter(**{f"{record}__among": pks})
        for pk, name, role in links.values_list(record, "organization__name", "role"):
            yield pk, f"{name} ({role})"

    def clean_item(self, item, lookups):
        roles = dict(self.link_model.Role.choices)
        match = _ROLE.match(item)
        name, role = (match["name"], match["role"].strip().lower()) if match else (item, "")
        if match and role not in roles:
            name, role = item, ""  # the parentheses belong to the name
        role = role or self.link_model.Role.choices[0][0]
        organization = lookups.organization(name)
        if organization is not None:
            return organization, role
        name = lookups.new_name(self.checked_name(name))
        if name not in lookups.approved_new:
            lookups.unknown_organizations.add(name)
            raise ValueError("matches no organization.")
        return name, role

    def checked_name(self, name: str) -> str:
        """A new organization's name, as its model stores and validates it."""
        name = as_stored(name)
        field = self.link_model._meta.get_field("organization").related_model._meta.get_field(
            "name"
        )
        try:
            check_text(name)
            field.run_validators(name)
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from None
        return name


class VocabularyWidget(ListWidget):
    """Fields of cooperation, by name or slug."""

    def item_text(self, vocabulary_field) -> str:
        return vocabulary_field.name

    def cells_for(self, model, attribute, pks):
        yield from _through_values(model, attribute, pks, "fieldofcooperation__name")

    def clean_item(self, item, lookups):
        found = lookups.fields.get(fold_for_search(item))
        if found is None:
            raise ValueError(
                "is not a field of cooperation; add it in the admin first or correct the spelling."
            )
        return found


class AgreementReferencesWidget(ListWidget):
    """The agreements a project implements, by reference."""

    def item_text(self, agreement) -> str:
        return agreement.reference

    def cells_for(self, model, attribute, pks):
        yield from _through_values(model, attribute, pks, "agreement__reference")

    def clean_item(self, item, lookups):
        if item not in lookups.agreements:
            raise ValueError("is not the reference of an agreement.")
        return lookups.agreements[item]


class RelationsWidget(ListWidget):
    """How an agreement relates to others: "implements AGR-0006; amends AGR-0002"."""

    def __init__(self, kinds):
        super().__init__()
        self.kinds = kinds

    def item_text(self, relation) -> str:
        return f"{relation.kind} {relation.other.reference}"

    def cells_for(self, model, attribute, pks):
        relations = model._meta.get_field(attribute).related_model.objects
        rows = relations.filter(agreement_id__among=pks).values_list(
            "agreement_id", "kind", "other__reference"
        )
        for pk, kind, reference in rows:
            yield pk, f"{kind} {reference}"

    def clean_item(self, item, lookups):
        kinds = dict(self.kinds.choices)
        kind, _, reference = item.partition(" ")
        other = lookups.agreements.get(reference.strip())
        if kind not in kinds or other is None:
            raise ValueError(
                "should be a relation and a reference, "
                f"e.g. “implements AGR-0006” ({', '.join(kinds)})."
            )
        return kind, other


def _through_values(model, attribute: str, pks: Iterable[int], target: str):
    """(record pk, target value) through a many-to-many field's table."""
    through = model._meta.get_field(attribute).remote_field.through
    own = f"{model._meta.model_name}_id"
    yield from through.objects.filter(**{f"{own}__among": pks}).values_list(own, target)


class SupportsWidget(ListWidget):
    """What a citation supports: field names, as the admin's checkboxes store them."""

    related = False

    def __init__(self, allowed):
        super().__init__()
        self.allowed = allowed

    def render(self, value, obj=None, **kwargs) -> str:
        return join_list(value or [])

    def clean_item(self, item, lookups):
        if item not in self.allowed:
            raise ValueError(f"is not something a quote supports ({', '.join(self.allowed)}).")
        return item


class ReferenceWidget(TextWidget):
    """One record named by its reference: a citation's source, or its agreement or project."""

    def __init__(self, kinds: tuple[str, ...], noun: str):
        super().__init__()
        self.kinds, self.noun = kinds, noun  # attributes of Lookups to look in, in order

    def render(self, value, obj=None, **kwargs) -> str:
        return value.reference if value is not None else ""

    def clean(self, value, row=None, lookups: Lookups | None = None, **kwargs):
        text = (value or "").strip()
        for kind in self.kinds:
            if text in getattr(lookups, kind):
                return getattr(lookups, kind)[text]
        raise ValueError(f"is not the reference of {self.noun}.")


class OrganizationNameWidget(TextWidget):
    """An organization named by its name or acronym (an organization's successor)."""

    def render(self, value, obj=None, **kwargs) -> str:
        return value.name if value is not None else ""

    def clean(self, value, row=None, lookups: Lookups | None = None, **kwargs):
        text = (value or "").strip()
        if not text:
            return None
        organization = lookups.organization(text)
        if organization is None:
            raise ValueError("matches no organization.")
        return organization
