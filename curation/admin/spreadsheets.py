"""Import and export in the admin: upload, preview, confirm; export a list or a selection."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, transaction
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import escape

from curation.middleware import database_busy
from curation.models import ImportBatch
from curation.resources import RESOURCES
from curation.spreadsheets import importing
from curation.spreadsheets.reading import ENCODINGS, SpreadsheetError, file_format
from curation.spreadsheets.writing import export_response

PREVIEW_ROWS = 300


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV, XLSX or JSON with the column headers shown below.")
    encoding = forms.ChoiceField(
        choices=list(ENCODINGS.items()), initial="auto", help_text="For CSV files only."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            file_format(upload.name)
        except SpreadsheetError as error:
            raise forms.ValidationError(str(error)) from None
        return upload


class SpreadsheetAdminMixin:
    """Adds Import and Export buttons, their views, and "export selected" actions."""

    change_list_template = "admin/curation/change_list_spreadsheets.html"

    @property
    def resource(self):
        return RESOURCES[self.model]

    def get_actions(self, request):
        actions = super().get_actions(request)
        for chosen in ("csv", "xlsx"):
            name = f"export_selected_{chosen}"
            actions[name] = (
                lambda modeladmin, request, queryset, f=chosen: modeladmin._export(
                    request, queryset, f
                ),
                name,
                f"Export selected as {chosen.upper()}",
            )
        return actions

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="{}_{}_import".format(*info),
            ),
            path(
                "import/<int:batch_id>/",
                self.admin_site.admin_view(self.preview_view),
                name="{}_{}_import_preview".format(*info),
            ),
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request) -> bool:
        return request.user.has_perm(f"curation.import_{self.model._meta.model_name}")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def _export(self, request, queryset, file_format: str):
        if not self.has_view_permission(request):
            raise PermissionDenied
        queryset = self.resource.queryset().filter(pk__in=queryset.values("pk")).order_by("pk")
        name = self.model._meta.verbose_name_plural.replace(" ", "-")
        return export_response(self.resource, queryset, file_format, name, by=request.user)

    def export_view(self, request):
        file_format = request.GET.get("format", "csv")
        if file_format not in ("csv", "xlsx", "json"):
            messages.error(request, "Choose CSV, XLSX or JSON.")
            return redirect(reverse(f"admin:curation_{self.model._meta.model_name}_changelist"))
        return self._export(request, self.get_queryset(request), file_format)

    def _context(self, request, **values):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "headers": self.resource.headers,
            **values,
        }

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            batch = ImportBatch.objects.create(
                model_name=self.model._meta.model_name,
                filename=upload.name[:255],
                encoding=form.cleaned_data["encoding"],
                data=upload.read(),
                created_by=request.user,
            )
            ImportBatch.discard_unconfirmed()
            return redirect(
                reverse(
                    f"admin:curation_{self.model._meta.model_name}_import_preview", args=[batch.pk]
                )
            )
        return TemplateResponse(
            request,
            "admin/curation/import_form.html",
            self._context(
                request, form=form, title=f"Import {self.model._meta.verbose_name_plural}"
            ),
        )

    def _batch(self, request, batch_id) -> ImportBatch:
        if not self.has_import_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            ImportBatch,
            pk=batch_id,
            model_name=self.model._meta.model_name,
            created_by=request.user,
        )

    def preview_view(self, request, batch_id: int):
        batch = self._batch(request, batch_id)
        if request.method == "POST" and "approve" in request.POST:
            chosen = set(request.POST.getlist("create_organization"))
            batch.approve_organizations(chosen)
            return redirect(request.path)
        if (
            request.method == "POST"
            and "confirm" in request.POST
            and batch.state == ImportBatch.State.PREVIEWED
        ):
            return StreamingHttpResponse(self._apply_with_progress(request, batch))
        if batch.state != ImportBatch.State.PREVIEWED:  # its file is gone: show how it ended
            return TemplateResponse(
                request,
                "admin/curation/import_preview.html",
                self._context(request, batch=batch, finished=True, title=str(batch)),
            )
        try:
            import_plan = importing.preview(self.resource, batch)
        except SpreadsheetError as error:
            return TemplateResponse(
                request,
                "admin/curation/import_preview.html",
                self._context(request, batch=batch, refusal=str(error), title="Import refused"),
            )
        shown = [row for row in import_plan.rows if row.action != "unchanged"][:PREVIEW_ROWS]
        return TemplateResponse(
            request,
            "admin/curation/import_preview.html",
            self._context(
                request,
                batch=batch,
                plan=import_plan,
                counts=dict(import_plan.counts),
                shown=shown,
                errors=import_plan.errors[:PREVIEW_ROWS],
                error_total=len(import_plan.errors),
                title=f"Preview: {batch.filename}",
            ),
        )

    def _apply_with_progress(self, request, batch: ImportBatch):
        """A page written as the import runs, so a long import is never a silent wait."""
        back = reverse(f"admin:curation_{self.model._meta.model_name}_changelist")
        marker = "<!--progress-->"
        page = render_to_string(
            "admin/curation/import_progress.html",
            self._context(request, marker=marker, title=f"Importing {batch.filename}"),
            request=request,
        )
        head, tail = page.split(marker, 1)
        yield head
        yield f"<p>Reading and checking {escape(batch.filename)}…</p>\n"
        try:
            import_plan = importing.confirmed_plan(self.resource, batch)
            counts = import_plan.counts
            yield f"<p>Writing {counts['new'] + counts['update']:,} rows in one transaction…</p>\n"
            with transaction.atomic():
                importing.apply(import_plan, by=request.user, filename=batch.filename)
                batch.mark_applied(counts)
            yield (
                f"<p class='success'><strong>Done:</strong> {counts['new']:,} new, "
                f"{counts['update']:,} updated, {counts['unchanged']:,} unchanged. "
                "New and changed records are in review.</p>"
            )
        except (SpreadsheetError, ValueError) as error:
            batch.mark_failed(str(error))
            yield f"<p class='errornote'>Nothing was imported: {escape(str(error))}</p>"
        except OperationalError as error:
            if not database_busy(error):
                raise
            # The sheet is kept: confirming again later is all it takes.
            yield (
                "<p class='errornote'>Nothing was imported: the database stayed busy with "
                "another large write for longer than it waits. "
                f'<a href="{escape(request.path)}">Confirm again</a> in a minute.</p>'
            )
        yield f'<p><a href="{back}">Back to the list</a></p>' + tail


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["created_at", "created_by", "model_name", "filename", "state", "summary"]
    list_filter = ["state", "model_name"]
    list_select_related = ["created_by"]
    exclude = ["data"]
    readonly_fields = [
        "model_name",
        "filename",
        "encoding",
        "approved_organizations",
        "state",
        "summary",
        "created_by",
        "created_at",
        "applied_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
