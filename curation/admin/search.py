from __future__ import annotations

from django.contrib import messages

from curation.text import search_words

MAX_SEARCH = 200  # as on the public site; longer LIKE patterns are refused by SQLite


def bounded(request, search_term: str) -> str:
    """At most MAX_SEARCH characters of a search, saying so when it cuts a longer one."""
    if len(search_term) > MAX_SEARCH:
        messages.warning(request, f"Only the first {MAX_SEARCH} characters were searched.")
    return search_term[:MAX_SEARCH]


class BoundedSearchMixin:
    """Django's own search over search_fields, on a bounded search term."""

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, bounded(request, search_term))


class FoldedSearchMixin:
    """Admin search that ignores case and diacritics: "viet nga" finds "Việt - Nga".

    It matches each word against the model's folded search_text column, so it never joins
    related tables and never needs DISTINCT.
    """

    search_fields = ["search_text"]
    search_help_text = "Words in any order; case and accents are ignored."

    def get_search_results(self, request, queryset, search_term):
        search_term = bounded(request, search_term)
        if hasattr(queryset, "matching"):  # agreements and projects: the text index
            return queryset.matching(search_term), False
        for word in search_words(search_term):
            queryset = queryset.filter(search_text__contains=word)
        return queryset, False
