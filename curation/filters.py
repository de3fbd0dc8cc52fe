"""Public filters. The URL parameters are a contract: links to filtered lists are shared.

q, country (repeatable), match (any|all), field, kind, year_min, year_max, sort, page.
A search without a sort lists the records whose titles hold every word first (sort=relevance).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from curation.countries import country_choices
from curation.models import Agreement, FieldOfCooperation, Project
from curation.text import search_words

SORTS = {
    "-date": _("Newest first"),
    "date": _("Oldest first"),
    "title": _("Title A–Z"),
    "-title": _("Title Z–A"),
    "relevance": _("Best match first"),  # titles that hold every searched word, then the newest
}


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


def field_choices():
    return list(FieldOfCooperation.objects.values_list("slug", "name"))


class RecordFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"), max_length=200)
    country = django_filters.MultipleChoiceFilter(
        choices=country_choices, method="filter_countries", label=_("Country")
    )
    match = django_filters.ChoiceFilter(
        choices=[("any", _("any of the countries")), ("all", _("all of the countries"))],
        method="filter_nothing",
        label=_("Match"),
        empty_label=None,
    )
    field = django_filters.ChoiceFilter(
        choices=field_choices, method="filter_field", label=_("Field of cooperation")
    )
    year_min = YearFilter(method="filter_years", label=_("From year"), min_value=1, max_value=9999)
    year_max = YearFilter(method="filter_years", label=_("To year"), min_value=1, max_value=9999)
    sort = django_filters.ChoiceFilter(
        choices=list(SORTS.items()), method="filter_sort", label=_("Sort"), empty_label=None
    )

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        if data and data.get("q") and not data.get("sort"):  # say the order a search gives
            choices = self.filters["sort"].extra["choices"]
            choices.sort(key=lambda choice: choice[0] != "relevance")

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_countries(self, queryset, name, codes):
        if self.form.cleaned_data.get("match") == "all":
            for code in codes:
                queryset = queryset.in_countries([code])
            return queryset
        return queryset.in_countries(codes)

    def filter_nothing(self, queryset, name, value):
        return queryset  # match only changes how country filters

    def filter_field(self, queryset, name, slug):
        return queryset.in_field(slug)

    def filter_years(self, queryset, name, value):
        if name == "year_min":
            return queryset.between_years(value, None)
        return queryset.between_years(None, value)

    def filter_sort(self, queryset, name, value):
        if value == "relevance":
            return queryset  # a search's own order; without one, the newest first
        key = self.queryset.model.DATE_FIELD if value.lstrip("-") == "date" else "title_en"
        descending = value.startswith("-")
        return queryset.order_by(f"-{key}" if descending else key, "reference")

    def qs_without(self, *names: str):
        """The records matching every valid filter but names: what a facet of names counts."""
        queryset = self.queryset.all()
        if not self.is_bound:
            return queryset
        self.is_valid()  # cleans the form: invalid fields are left out of cleaned_data
        for name, value in self.form.cleaned_data.items():
            if name not in names:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def words_in_search_order(self) -> list[str]:
        """The searched words, if the list is in the search's own order (sort=relevance)."""
        self.is_valid()
        chosen = self.form.cleaned_data if self.is_bound else {}
        if chosen.get("sort") not in (None, "", "relevance"):
            return []
        return search_words(chosen.get("q") or "")

    def error_messages(self) -> list[str]:
        """What was wrong with the query, said plainly; the rest of the filters still apply."""
        messages = []
        for name, errors in self.form.errors.items():
            raw = ", ".join(self.data.getlist(name))[:80]
            messages.append(
                _("Ignored %(name)s=%(value)s: %(error)s")
                % {"name": name, "value": raw, "error": " ".join(errors)}
            )
        return messages


class AgreementFilter(RecordFilter):
    kind = django_filters.ChoiceFilter(choices=Agreement.Kind.choices, label=_("Kind"))

    class Meta:
        model = Agreement
        fields = ["q", "country", "match", "field", "kind", "year_min", "year_max", "sort"]


class ProjectFilter(RecordFilter):
    kind = django_filters.ChoiceFilter(choices=Project.Kind.choices, label=_("Kind"))

    class Meta:
        model = Project
        fields = ["q", "country", "match", "field", "kind", "year_min", "year_max", "sort"]
