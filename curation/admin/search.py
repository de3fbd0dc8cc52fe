from __future__ import annotations

from curation.text import search_words


class FoldedSearchMixin:
    """Admin search that ignores case and diacritics: "viet nga" finds "Việt - Nga".

    It matches each word against the model's folded search_text column, so it never joins
    related tables and never needs DISTINCT.
    """

    search_fields = ["search_text"]
    search_help_text = "Words in any order; case and accents are ignored."

    def get_search_results(self, request, queryset, search_term):
        for word in search_words(search_term):
            queryset = queryset.filter(search_text__contains=word)
        return queryset, False
