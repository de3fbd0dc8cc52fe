"""List filters whose choices cost one small query and whose filtering never duplicates rows."""

from __future__ import annotations

from django.contrib import admin

from curation.countries import country_names
from curation.models import FieldOfCooperation, Organization


class CountryFilter(admin.SimpleListFilter):
    title = "country"
    parameter_name = "country"

    def lookups(self, request, model_admin):
        codes = (
            Organization.objects.exclude(country="")
            .order_by("country")
            .values_list("country", flat=True)
            .distinct()
        )
        names = country_names()
        return sorted(((code, names.get(code, code)) for code in codes), key=lambda c: c[1])

    def queryset(self, request, queryset):
        return queryset.in_countries([self.value()]) if self.value() else queryset


class FieldFilter(admin.SimpleListFilter):
    title = "field of cooperation"
    parameter_name = "field"

    def lookups(self, request, model_admin):
        return list(FieldOfCooperation.objects.values_list("slug", "name"))

    def queryset(self, request, queryset):
        return queryset.in_field(self.value()) if self.value() else queryset


class YearFilter(admin.SimpleListFilter):
    title = "year"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        return [(year, year) for year in model_admin.model.objects.years()]

    def queryset(self, request, queryset):
        return queryset.in_year(self.value()) if self.value() else queryset
