"""Admin for what records point to: sources, organizations, fields, and citations on their own."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import models, transaction
from django.db.models import Count

from curation import facets, services
from curation.admin.history import LabelledHistoryAdmin
from curation.admin.locking import VersionCheckedAdminMixin
from curation.admin.search import BoundedSearchMixin, FoldedSearchMixin
from curation.admin.spreadsheets import SpreadsheetAdminMixin
from curation.models import Citation, FieldOfCooperation, Organization, Source
from curation.rules import FORM_TEXT_FIELDS


class SummaryKeptMixin:
    """A change form whose saves leave every public facet count as it was, so long as
    counted() reads the same after the save as before it: the facet summary is carried over
    in the save's transaction (curation/facets.py), and the next reader does not rebuild it."""

    def counted(self, obj) -> object:
        """What the facet summary counts of the stored object: nothing, unless a model says."""
        return None

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)

        def counted():
            stored = self.get_object(request, unquote(object_id)) if object_id else None
            return self.counted(stored) if stored else None

        with transaction.atomic(), facets.carried_over_if_same(counted):
            return super().changeform_view(request, object_id, form_url, extra_context)


@admin.register(Source)
class SourceAdmin(
    SummaryKeptMixin,
    VersionCheckedAdminMixin,
    SpreadsheetAdminMixin,
    FoldedSearchMixin,
    LabelledHistoryAdmin,
):
    list_display = ["reference", "title", "publisher", "published_on", "language", "citation_count"]
    list_display_links = ["reference", "title"]
    list_filter = ["kind", "language"]
    show_full_result_count = False
    ordering = ["reference"]
    readonly_fields = ["reference", "text_sha256"]
    formfield_overrides = {**FORM_TEXT_FIELDS, models.URLField: {"assume_scheme": "https"}}
    fields = [
        "reference",
        "title",
        "publisher",
        "author",
        "url",
        "published_on",
        "language",
        "kind",
        "captured_text",
        "captured_at",
        "text_sha256",
        "notes",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(citation_total=Count("citations"))

    @admin.display(description="citations", ordering="citation_total")
    def citation_count(self, source: Source) -> int:
        return source.citation_total


@admin.register(Organization)
class OrganizationAdmin(
    SummaryKeptMixin,
    VersionCheckedAdminMixin,
    SpreadsheetAdminMixin,
    FoldedSearchMixin,
    LabelledHistoryAdmin,
):
    formfield_overrides = FORM_TEXT_FIELDS
    list_display = ["name", "name_original", "acronym", "kind", "country", "successor"]
    list_filter = ["kind", "country"]
    list_select_related = ["successor"]
    show_full_result_count = False
    autocomplete_fields = ["successor"]
    readonly_fields = ["reference"]
    fields = ["reference", "name", "name_original", "acronym", "kind", "country", "successor"]
    fields += ["wikidata_id", "ror_id"]

    def counted(self, obj):
        """The country its records are counted under (its own, or its successor's), and what
        that depends on. A new organization has no records yet: nothing is counted."""
        return obj.country, obj.lineage_country, obj.successor_id


@admin.register(FieldOfCooperation)
class FieldOfCooperationAdmin(SummaryKeptMixin, BoundedSearchMixin, LabelledHistoryAdmin):
    # The summary counts a field by its id: a new name or slug changes no count.
    formfield_overrides = FORM_TEXT_FIELDS
    list_display = ["name", "name_vi", "slug"]
    search_fields = ["name", "name_vi"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Citation)
class CitationAdmin(
    VersionCheckedAdminMixin, BoundedSearchMixin, SpreadsheetAdminMixin, LabelledHistoryAdmin
):
    formfield_overrides = FORM_TEXT_FIELDS
    list_display = ["__str__", "record_link", "source", "supported_fields", "is_inferred", "found"]
    list_filter = ["quote_found", "is_inferred"]
    list_select_related = ["source", "agreement", "project"]
    search_fields = ["quote", "translation", "source__reference", "source__title"]
    show_full_result_count = False
    autocomplete_fields = ["source", "agreement", "project"]
    readonly_fields = ["found"]

    def save_model(self, request, obj, form, change):
        earlier = Citation.objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        for record in {obj.record, earlier and earlier.record} - {None}:
            services.record_related_edit(record, by=request.user)

    def delete_model(self, request, obj):
        record = obj.record
        super().delete_model(request, obj)
        services.record_related_edit(record, by=request.user)

    def delete_queryset(self, request, queryset):
        records = {citation.record for citation in queryset.select_related("agreement", "project")}
        super().delete_queryset(request, queryset)
        for record in records:
            services.record_related_edit(record, by=request.user)

    @admin.display(description="record")
    def record_link(self, citation: Citation) -> str:
        return str(citation.record)

    @admin.display(description="supports")
    def supported_fields(self, citation: Citation) -> str:
        return ", ".join(citation.supported_labels())

    @admin.display(description="quote in source", boolean=True, ordering="quote_found")
    def found(self, citation: Citation) -> bool:
        return citation.quote_found


__all__ = ["CitationAdmin", "FieldOfCooperationAdmin", "OrganizationAdmin", "SourceAdmin"]
