"""Country names for codes, in the reader's language, including former states."""

from __future__ import annotations

from django_countries import countries

from curation.models import Organization


def country_names() -> dict[str, str]:
    """Code -> name for every country an organization has: ISO names, else the state's name."""
    states = dict(
        Organization.objects.filter(kind=Organization.Kind.STATE)
        .exclude(country="")
        .values_list("country", "name")
    )
    codes = set(Organization.objects.exclude(country="").values_list("country", flat=True))
    return {code: countries.name(code) or states.get(code, code) for code in sorted(codes)}


def country_choices() -> list[tuple[str, str]]:
    return sorted(country_names().items(), key=lambda item: item[1])
