"""Import and export in the admin: django-import-export's views, with coop's resources,
formats and upload store, plus what the library lacks, each at one of its hooks:

- the preview shows totals, errors by row and column, and a capped list of changes with
  the changed words marked (the library's template renders every row of a 100k-row sheet);
- unknown organizations are ticked, with their kind and country, before confirm;
- confirm writes a page as it works (process_import), and reuses the preview's checked plan;
- exports stream (the library builds the whole file in memory);
- one "Recent actions" entry per import.
"""

from __future__ import annotations

import logging

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import escape
from django.views.decorators.http import require_POST
from import_export.admin import ExportActionMixin, ImportExportMixin
from import_export.forms import ConfirmImportForm, ExportForm

from curation.models import ImportBatch, Organization
from curation.resources import RESOURCES
from curation.spreadsheets.formats import FORMATS, SpreadsheetError
from curation.spreadsheets.storage import ImportBatchStorage

PREVIEW_ROWS = 300
log = logging.getLogger("curation.spreadsheets")


class SpreadsheetAdminMixin(ImportExportMixin, ExportActionMixin):
    import_formats = FORMATS
    export_formats = FORMATS[:4]  # CSV, XLSX, ODS, JSON; code pages are for reading only
    import_template_name = "admin/curation/import.html"
    from_encoding = None  # the formats detect it
    show_change_form_export = False
    # Whole sheets, which import back as they are; the library's column picker also relies on
    # an inline script that the Content-Security-Policy blocks.
    export_form_class = ExportForm

    def get_resource_classes(self, request):
        return [type(RESOURCES[self.model])]

    def get_tmp_storage_class_kwargs(self):
        return {"model_name": self.model._meta.model_name}

    def get_urls(self):
        info = self.get_model_info()
        approve = self.admin_site.admin_view(self.approve_organizations_view)
        return [
            path("import/organizations/", approve, name="{}_{}_import_organizations".format(*info)),
            *super().get_urls(),
        ]

    def get_import_data_kwargs(self, request=None, form=None, **kwargs):
        kwargs = super().get_import_data_kwargs(request=request, form=form, **kwargs)
        if isinstance(form, ConfirmImportForm):
            name, filename = (
                form.cleaned_data["import_file_name"],
                form.cleaned_data["original_file_name"],
            )
        else:
            upload = form.cleaned_data["import_file"]
            name, filename = upload.tmp_storage_name, upload.name
        kwargs["batch"] = self.claimed_batch(request, name, filename)
        return kwargs

    def claimed_batch(self, request, name: str, filename: str) -> ImportBatch:
        """The upload behind a form; it belongs to whoever previewed it first."""
        batch = ImportBatchStorage(name=name).batch()
        if batch.created_by_id is None:
            batch.claim(request.user, filename)
        elif batch.created_by_id != request.user.pk:
            raise PermissionDenied
        return batch

    def add_data_read_fail_error_to_form(self, form, e):
        if not isinstance(e, SpreadsheetError):
            return super().add_data_read_fail_error_to_form(form, e)
        name = getattr(form.cleaned_data.get("import_file"), "tmp_storage_name", None)
        form.add_error("import_file", str(e))
        if name:
            ImportBatchStorage(name=name).batch().mark_failed(str(e))

    def get_import_context_data(self, **kwargs):
        return {
            **super().get_import_context_data(**kwargs),
            "preview_rows": PREVIEW_ROWS,
            "organization_kinds": Organization.Kind.choices,
        }

    def approve_organizations_view(self, request):
        """The ticked unknown organizations, kept with the upload; then the preview again."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseBadRequest("Tick the organizations on the preview page.")
        confirm_form = self.create_confirm_form(request)
        if not confirm_form.is_valid():
            return HttpResponseBadRequest("This preview is incomplete: upload the file again.")
        data = confirm_form.cleaned_data
        batch = self.claimed_batch(request, data["import_file_name"], data["original_file_name"])
        batch.approve_organizations(self._chosen_organizations(request))
        try:
            input_format = self.get_import_formats()[int(data["format"])]()
            dataset = input_format.create_dataset(
                ImportBatchStorage(name=data["import_file_name"]).read()
            )
        except (ValueError, IndexError) as error:  # SpreadsheetError, or a forged format
            messages.error(request, str(error))
            return self._preview_response(request, None, None)
        resource = self.choose_import_resource_class(confirm_form, request)()
        result = resource.import_data(
            dataset, dry_run=True, user=request.user, file_name=batch.filename, batch=batch
        )
        ok = not result.has_errors() and not result.has_validation_errors()
        return self._preview_response(request, result, confirm_form if ok else None, data)

    def _chosen_organizations(self, request) -> dict[str, dict]:
        """The ticked names with their kind and country; a value that an organization cannot
        have is refused with a message, and that name is not ticked."""
        chosen = {}
        for index in request.POST.getlist("create_organization"):
            name = request.POST.get(f"name-{index}", "").strip()
            values = {
                "kind": request.POST.get(f"kind-{index}", ""),
                "country": request.POST.get(f"country-{index}", "").strip().upper(),
            }
            organization = Organization(name=name, **values)
            try:
                organization.clean_fields(exclude=["reference", "version", "search_text"])
            except ValidationError as error:
                problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
                messages.error(request, f"“{name[:80]}” was not ticked: {problems}")
                continue
            chosen[name] = values
        return chosen

    def _preview_response(self, request, result, confirm_form, confirm_data=None):
        context = {
            **self.admin_site.each_context(request),
            **self.get_import_context_data(),
            "title": "Import",
            "opts": self.model._meta,
            "result": result,
            "confirm_form": confirm_form,
            "form": self.create_import_form(request) if result is None else None,
            "confirm_data": confirm_data or {},
        }
        return TemplateResponse(request, [self.import_template_name], context)

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """Confirm: a page written as the import runs, so a long import is never a silent wait."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        return StreamingHttpResponse(self._import_with_progress(request, **kwargs))

    def _import_with_progress(self, request, **kwargs):
        back = reverse("admin:{}_{}_changelist".format(*self.get_model_info()))
        marker = "<!--progress-->"
        page = render_to_string(
            "admin/curation/import_progress.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "marker": marker,
                "title": f"Importing {request.POST.get('original_file_name', '')}",
            },
            request=request,
        )
        head, tail = page.split(marker, 1)
        yield head
        yield "<p>Reading, checking and writing the sheet in one transaction…</p>\n"
        try:
            if super().process_import(request, **kwargs) is not None:  # its form was invalid
                messages.error(request, "This preview is incomplete: upload the file again.")
        except (ValueError, IndexError) as error:  # SpreadsheetError, or a forged format
            messages.error(request, f"Nothing was imported: {error}")
        except PermissionDenied:
            messages.error(request, "Nothing was imported: this upload is someone else's.")
        except Exception:  # the page has begun: it must still end, and say what happened
            log.exception("Import failed")
            messages.error(
                request,
                "Nothing was imported: the server met an unexpected error, and every change "
                "was rolled back. The error is in the server's log.",
            )
        yield '<ul class="messagelist">'
        for message in messages.get_messages(request):
            yield f'<li class="{message.tags}">{escape(str(message))}</li>\n'
        yield f'</ul><p><a href="{back}">Back to the list</a></p>' + tail

    def process_result(self, result, request):
        if result.written:
            self.generate_log_entries(result, request)
        self.add_success_message(result, request)
        return None

    def generate_log_entries(self, result, request):
        """One "Recent actions" entry per import (not one per row of a 100k-row sheet)."""
        batch = result.batch
        LogEntry.objects.log_actions(
            request.user.pk,
            [batch],
            CHANGE,
            change_message=summary(result, batch.filename),
            single_object=True,
        )

    def add_success_message(self, result, request):
        if not result.written:
            for problem in result.problems or ["There was nothing to import."]:
                messages.error(request, problem)
            return
        messages.success(
            request,
            summary(result, result.batch.filename if result.batch else "")
            + " New and changed records are in review.",
        )
        for organization in result.created_organizations:
            messages.info(
                request,
                f"Created {organization.reference} {organization.name} "
                f"({organization.get_kind_display()}, {organization.country or 'no country'}): "
                "check it in the organizations list.",
            )

    def get_valid_export_item_pks(self, request):
        """The records "export selected" may name: those this user's list holds."""
        return self.get_queryset(request).values_list("pk", flat=True)

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        """Streamed: rows are read in chunks and written as they come, in flat memory."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        resource = self.choose_export_resource_class(export_form, request)()
        selected = self.get_export_resource_fields_from_form(export_form)
        fields = resource._fields_for(selected)
        rows = (
            resource.export_resource(obj, selected)
            for obj in resource.iter_queryset(
                resource.get_queryset().filter(pk__in=queryset.values("pk"))
            )
        )
        output = file_format.stream(
            [f.column_name for f in fields], rows, title=str(self.model._meta.verbose_name_plural)
        )
        response_class = FileResponse if hasattr(output, "read") else StreamingHttpResponse
        response = response_class(output, content_type=file_format.get_content_type())
        filename = self.get_export_filename(request, queryset, file_format)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def summary(result, filename: str) -> str:
    totals = result.totals
    return (
        f"Imported {filename}: {totals['new']:,} new, {totals['update']:,} updated, "
        f"{totals['skip']:,} unchanged."
    )


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["created_at", "created_by", "model_name", "filename", "state", "summary"]
    list_filter = ["state", "model_name"]
    list_select_related = ["created_by"]
    exclude = ["data", "checked_plan"]
    readonly_fields = [
        "model_name",
        "filename",
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
