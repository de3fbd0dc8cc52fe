"""Admin for agreements and projects: editing with provenance, and the review workflow."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from curation import duplicates, facets, services
from curation.admin.filters import CountryFilter, FieldFilter, YearFilter
from curation.admin.history import LabelledHistoryAdmin
from curation.admin.locking import VersionCheckedAdminMixin, VersionCheckedForm
from curation.admin.search import FoldedSearchMixin
from curation.admin.spreadsheets import SpreadsheetAdminMixin
from curation.models import (
    AGREEMENT_SUPPORTS,
    PROJECT_SUPPORTS,
    Agreement,
    AgreementParty,
    AgreementRelation,
    Citation,
    Project,
    ProjectParticipant,
)
from curation.rules import FORM_TEXT_FIELDS

COVERAGE_MARKS = {"supported": "✓", "unsupported": "✗", "missing": "–"}


def citation_form(supportable: dict[str, str]) -> type[forms.ModelForm]:
    class CitationForm(VersionCheckedForm):
        supports = forms.MultipleChoiceField(
            choices=list(supportable.items()),
            widget=forms.CheckboxSelectMultiple,
            required=False,
            help_text="The fields of the record this quote supports.",
        )

        class Meta:
            model = Citation
            fields = [
                "source",
                "quote",
                "translation",
                "supports",
                "locator",
                "is_inferred",
                "inference",
            ]
            widgets = {
                "quote": forms.Textarea(attrs={"rows": 3, "cols": 60}),
                "translation": forms.Textarea(attrs={"rows": 2, "cols": 60}),
                "inference": forms.Textarea(attrs={"rows": 2, "cols": 40}),
            }

    return CitationForm


class CitationInline(admin.StackedInline):
    formfield_overrides = FORM_TEXT_FIELDS
    model = Citation
    extra = 1
    autocomplete_fields = ["source"]
    readonly_fields = ["quote_status"]

    @admin.display(description="quote in source")
    def quote_status(self, citation: Citation) -> str:
        if not citation.pk:
            return "checked when saved"
        if citation.quote_found:
            return mark_safe('<span class="quote-found">found</span>')
        return format_html(
            '<strong class="quote-missing">NOT FOUND in {}</strong>: '
            "fix the quote or the source's captured text.",
            citation.source.reference,
        )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source")


class AgreementCitationInline(CitationInline):
    fk_name = "agreement"
    form = citation_form(AGREEMENT_SUPPORTS)


class ProjectCitationInline(CitationInline):
    fk_name = "project"
    form = citation_form(PROJECT_SUPPORTS)


NOT_A_DUPLICATE = "not_a_duplicate"


class PartiesFormSet(forms.BaseInlineFormSet):
    """Before a new agreement is first saved, it is compared with those recorded: the parties
    are known only here, with the agreement's own fields already read into self.instance."""

    def clean(self):
        super().clean()
        agreement = self.instance
        if agreement.pk or self.data.get(NOT_A_DUPLICATE) or any(f.errors for f in self.forms):
            return
        organizations = [
            form.cleaned_data["organization"].pk
            for form in self.forms
            if form.cleaned_data.get("organization") and not form.cleaned_data.get("DELETE")
        ]
        register = duplicates.Register([organizations])
        draft = register.sketch(
            agreement.title_en, agreement.title_original, agreement.date_signed, organizations
        )
        found = register.look_alikes(draft)
        if found:
            raise forms.ValidationError(
                [
                    *(duplicates.warning(draft, known) for known in found),
                    "If it is a different agreement, tick “Not a duplicate” above and save again.",
                ],
                code="look_alike",
            )


class AgreementForm(VersionCheckedForm):
    not_a_duplicate = forms.BooleanField(
        label="Not a duplicate",
        required=False,
        help_text="Tick to save a new agreement that looks like one already recorded.",
    )


class PartyInline(admin.TabularInline):
    model = AgreementParty
    formset = PartiesFormSet
    extra = 1
    autocomplete_fields = ["organization"]


class RelationInline(admin.TabularInline):
    model = AgreementRelation
    fk_name = "agreement"
    extra = 0
    autocomplete_fields = ["other"]


class ParticipantInline(admin.TabularInline):
    model = ProjectParticipant
    extra = 1
    autocomplete_fields = ["organization"]


class RetractForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Why the record is withdrawn; kept with the record.",
    )


class RecordAdmin(
    VersionCheckedAdminMixin, SpreadsheetAdminMixin, FoldedSearchMixin, LabelledHistoryAdmin
):
    """What agreement and project admins share: the workflow actions and list columns."""

    formfield_overrides = FORM_TEXT_FIELDS

    actions = ["submit_for_review", "verify", "retract", "reopen"]
    list_filter = ["status", "kind", CountryFilter, FieldFilter, YearFilter]
    list_per_page = 50
    show_full_result_count = False  # the unfiltered second COUNT is slow on large tables
    show_facets = admin.ShowFacets.NEVER  # one COUNT per filter choice, on every list view
    autocomplete_fields = ["fields"]
    readonly_fields = [
        "reference",
        "status",
        "retraction_reason",
        "last_edited_by_name",
        "verified_by_name",
        "verified_at",
    ]
    change_form_template = "admin/curation/record_change_form.html"
    workflow_fieldset = (
        "Review",
        {"fields": readonly_fields + ["internal_notes"], "classes": ["collapse"]},
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                f"{self.model.LINKS}__organization",
                Prefetch(
                    "citations",
                    queryset=Citation.objects.only(
                        "id", "source_id", "agreement_id", "project_id", "supports", "quote_found"
                    ),
                ),
            )
        )

    # Names, not links: curators may not open the user admin.
    @admin.display(description="last edited by")
    def last_edited_by_name(self, record) -> str:
        return record.last_edited_by.get_username() if record.last_edited_by else "—"

    @admin.display(description="verified by")
    def verified_by_name(self, record) -> str:
        return record.verified_by.get_username() if record.verified_by else "—"

    @admin.display(description="provenance")
    def coverage(self, record) -> str:
        """How many key fields a found quote supports, then each one that lacks it."""
        items = record.coverage()
        gaps = [item for item in items if item.state != "supported"]
        return format_html(
            '<span class="coverage-supported">{} of {} {}</span>{}',
            len(items) - len(gaps),
            len(items),
            COVERAGE_MARKS["supported"],
            format_html_join(
                "",
                '<br><span class="coverage-{}" title="{}">{} {}</span>',
                ((item.state, item.state, item.label, COVERAGE_MARKS[item.state]) for item in gaps),
            ),
        )

    @admin.display(description="sources")
    def sources(self, record) -> int:
        return record.source_count()

    @admin.display(description="organizations")
    def organization_names(self, record) -> str:
        return "; ".join(org.acronym or org.name for org in record.organizations())

    def save_model(self, request, obj, form, change):
        request.was_public = change and obj.is_public
        services.save_record(obj, by=request.user, changed_fields=form.changed_data)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if change and formset.has_changed():
            services.record_related_edit(form.instance, by=request.user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        record = form.instance
        record.refresh_from_db(fields=["status"])
        if getattr(request, "was_public", False) and not record.is_public:
            self.message_user(
                request,
                f"{record.reference} changed after verification, so it went back to review and "
                "is no longer on the public site until a reviewer verifies it again.",
                messages.WARNING,
            )
        self.warn_unfound_quotes(request, record)

    def warn_unfound_quotes(self, request, record) -> None:
        for citation in record.citations.filter(quote_found=False).select_related("source"):
            self.message_user(
                request,
                f"The quote {citation} is NOT FOUND in {citation.source.reference}: it is not "
                "evidence, and the record cannot be verified until the quote is the source's "
                "exact words.",
                messages.WARNING,
            )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST" and "_verify" in request.POST:
            return self.verify_as_stored(request, object_id)
        if request.method == "GET" and (record := self.get_object(request, object_id)):
            self.warn_unfound_quotes(request, record)
        extra_context = {**(extra_context or {}), "can_verify": self.has_verify_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A saved edit, with its parties, fields and citations, carries the public facet
        summary over in its own transaction (curation/facets.py): an edit that takes a
        verified record off the public site leaves no rebuild to the next reader."""
        record = (
            object_id and request.method == "POST" and self.get_object(request, unquote(object_id))
        )
        if not record:
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic(), facets.carried_over(self.model, [record.pk]):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_view_on_site_url(self, obj=None):
        """A record not yet public opens as the staff preview of its page, not a 404."""
        if obj is not None and not obj.is_public:
            return reverse(f"curation:{obj._meta.model_name}-preview", args=[obj.reference])
        return super().get_view_on_site_url(obj)

    def verify_as_stored(self, request, object_id):
        """The change form's Verify button: the record as stored, never the form's edits (a
        reviewer who edits becomes its last editor, and another must verify)."""
        record = self.get_object(request, object_id)
        if record is None:
            raise Http404
        self._apply(request, [record], services.verify_record, "verified")
        return redirect(request.path)

    def response_change(self, request, obj):
        """The change form's "Save and submit for review" button."""
        if "_submit_for_review" in request.POST:
            self._apply(request, [obj], services.submit_for_review, "submitted for review")
            return redirect(request.path)
        return super().response_change(request, obj)

    def _apply(self, request, queryset, step, done: str, **arguments) -> None:
        records, refusals = services.apply_to_each(queryset, step, by=request.user, **arguments)
        self._report(request, records, refusals, done)

    def _report(self, request, records, refusals, done: str) -> None:
        for refusal in refusals:
            self.message_user(request, f"Not {done}: {refusal}", messages.ERROR)
        if records:  # "Recent actions" shows the workflow, not only edits
            LogEntry.objects.log_actions(
                request.user.pk, records, CHANGE, change_message=done.capitalize() + "."
            )
        count = len(records)
        if count:
            noun = (
                self.model._meta.verbose_name
                if count == 1
                else self.model._meta.verbose_name_plural
            )
            self.message_user(request, f"{count} {noun} {done}.", messages.SUCCESS)

    @admin.action(description="Submit selected records for review")
    def submit_for_review(self, request, queryset):
        self._apply(request, queryset, services.submit_for_review, "submitted for review")

    def has_verify_permission(self, request) -> bool:
        return request.user.has_perm(f"curation.verify_{self.model._meta.model_name}")

    def has_retract_permission(self, request) -> bool:
        return request.user.has_perm(f"curation.retract_{self.model._meta.model_name}")

    @admin.action(description="Verify selected records", permissions=["verify"])
    def verify(self, request, queryset):
        self._report(request, *services.verify_records(queryset, by=request.user), "verified")

    @admin.action(
        description="Retract selected records (asks for a reason)", permissions=["retract"]
    )
    def retract(self, request, queryset):
        form = RetractForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._apply(
                request,
                queryset,
                services.retract_record,
                "retracted",
                reason=form.cleaned_data["reason"],
            )
            return None
        return TemplateResponse(
            request,
            "admin/curation/retract.html",
            {
                **self.admin_site.each_context(request),
                "title": "Retract records",
                "opts": self.model._meta,
                "records": queryset,
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(
        description="Reopen selected retracted records for review", permissions=["retract"]
    )
    def reopen(self, request, queryset):
        self._apply(request, queryset, services.reopen_record, "reopened")


@admin.register(Agreement)
class AgreementAdmin(RecordAdmin):
    list_display = [
        "reference",
        "title_en",
        "kind",
        "date_signed",
        "organization_names",
        "status",
        "coverage",
        "sources",
    ]
    list_display_links = ["reference", "title_en"]
    form = AgreementForm
    inlines = [PartyInline, RelationInline, AgreementCitationInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title_en",
                    "title_original",
                    "original_language",
                    "kind",
                    "date_signed",
                    "place",
                    "signed_by",
                    "fields",
                    "summary",
                ]
            },
        ),
        RecordAdmin.workflow_fieldset,
    ]

    def get_fieldsets(self, request, obj=None):
        """A new agreement offers “Not a duplicate” once a save has found look-alikes."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None or request.method != "POST":
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [NOT_A_DUPLICATE, *options["fields"]]}), *rest]


@admin.register(Project)
class ProjectAdmin(RecordAdmin):
    list_display = [
        "reference",
        "title_en",
        "kind",
        "start",
        "organization_names",
        "status",
        "coverage",
        "sources",
    ]
    list_display_links = ["reference", "title_en"]
    inlines = [ParticipantInline, ProjectCitationInline]
    autocomplete_fields = ["fields", "agreements"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title_en",
                    "title_original",
                    "original_language",
                    "kind",
                    "start",
                    "end",
                    "location",
                    ("budget_amount", "budget_currency"),
                    "agreements",
                    "fields",
                    "summary",
                ]
            },
        ),
        RecordAdmin.workflow_fieldset,
    ]
