"""Country names for codes, in the reader's language, including former states."""

from __future__ import annotations

from django_countries import countries

from curation.models import Organization


def country_names() -> dict[str, str]:
    """Code -> name for every country an organization has: ISO names, else the state's name."""
    codes, states = set(), {}
    for code, kind, name in Organization.objects.exclude(country="").values_list(
        "country", "kind", "name"
    ):
        codes.add(code)
        if kind == Organization.Kind.STATE:
            states[code] = name
    return {code: countries.name(code) or states.get(code, code) for code in sorted(codes)}


def country_choices() -> list[tuple[str, str]]:
    return sorted(country_names().items(), key=lambda item: item[1])
