from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import translate_url

from curation.dates import humanized

register = template.Library()


@register.simple_tag(takes_context=True)
def in_language(context, language: str) -> str:
    """This page's URL, query included, in another interface language."""
    return translate_url(context["request"].get_full_path(), language)


@register.filter
def title_in(record, language: str) -> str:
    return record.title_in(language or "en")


@register.simple_tag
def own_language_names() -> list[tuple[str, str]]:
    """Each language in its own name ("English", "Tiếng Việt"), as settings.LANGUAGES writes
    them: Django's get_available_languages would translate them ("Tiếng Anh")."""
    return settings.LANGUAGES


@register.filter
def names_in(vocabulary, language: str) -> str:
    """Fields of cooperation, named in the reader's language: "Năng lượng hạt nhân, …"."""
    return ", ".join(field.name_in(language or "en") for field in vocabulary)


@register.filter
def partial_date(value: str) -> str:
    """ "1959-03-07" -> "7 March 1959", "2014-11" -> "November 2014"; never an invented day."""
    return humanized(value)
