"""The public, read-only site: only what Record.objects.public() returns is ever shown."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView

from curation import charts, downloads
from curation.countries import country_names
from curation.filters import AgreementFilter, ProjectFilter
from curation.models import (
    Agreement,
    AgreementRelation,
    Citation,
    FieldOfCooperation,
    Organization,
    Project,
    Source,
)


def _citations():
    # A source's captured text can be long and is not shown beside a citation: leave it.
    sources = Citation.objects.select_related("source").defer(
        "source__captured_text", "source__search_text"
    )
    return Prefetch("citations", queryset=sources)


class PublicRecordMixin:
    model: type = None

    def records(self):
        return self.model.objects.public()

    def get_queryset(self):
        return self.records().prefetch_related(
            f"{self.model.LINKS}__organization", "fields", _citations()
        )


class PublicList(PublicRecordMixin, ListView):
    paginate_by = 50
    context_object_name = "records"
    template_name = "curation/record_list.html"
    filterset_class = None

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.notices: list[str] = []  # shown on the page itself, so cached pages stay correct

    def get_queryset(self):
        self.filterset = self.filterset_class(
            self.request.GET or None, queryset=super().get_queryset()
        )
        self.notices += self.filterset.error_messages()
        return self.filterset.qs

    def get(self, request, *args, **kwargs):
        download = request.GET.get("format", "")
        if download in ("csv", "json"):
            queryset = self.get_queryset()
            if self.model is Project:
                public = Agreement.objects.public()
                queryset = queryset.prefetch_related(Prefetch("agreements", queryset=public))
            name = self.model._meta.verbose_name_plural
            if download == "json":  # its records link to their pages: whole addresses
                return downloads.json_response(queryset, name, request.build_absolute_uri("/"))
            return downloads.csv_response(queryset, name)
        if download:
            self.notices.append(_("Unknown format “%s”: use csv or json.") % download[:20])
        return super().get(request, *args, **kwargs)

    def paginate_queryset(self, queryset, page_size):
        # A page number that is not one gets the first page and a message, not a 404.
        try:
            return super().paginate_queryset(queryset, page_size)
        except Http404:
            self.notices.append(_("There is no such page; showing the first."))
            paginator = self.get_paginator(queryset, page_size)
            page = paginator.page(1)
            return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        without = self.filterset.qs_without
        names = dict(self.filterset.form.fields["country"].choices)
        countries = without("country", "match").country_counts()
        kinds = without("kind").kind_counts()
        context |= {
            "notices": self.notices,
            "filter": self.filterset,
            "facets": {
                "country": [(code, names.get(code, code), n) for code, n in countries.items()],
                "kind": [
                    (kind, label, kinds[kind])
                    for kind, label in self.model.Kind.choices
                    if kind in kinds
                ],
                "field": list(_field_facets(without("field"))),
            },
            "query_without_page": _query_without(self.request, "page"),
            "is_agreement": self.model is Agreement,
        }
        return context


def _field_facets(queryset):
    """(slug, name in the reader's language, records) of each field the records have."""
    counts = queryset.field_counts()
    for field in FieldOfCooperation.objects.only("pk", "slug", "name", "name_vi"):
        if counts.get(field.pk):
            yield field.slug, field.name_in(get_language()), counts[field.pk]


def _query_without(request, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


class AgreementList(PublicList):
    model = Agreement
    filterset_class = AgreementFilter


class ProjectList(PublicList):
    model = Project
    filterset_class = ProjectFilter


class PublicDetail(PublicRecordMixin, DetailView):
    context_object_name = "record"
    slug_field = "reference"
    slug_url_kwarg = "reference"


class AgreementDetail(PublicDetail):
    model = Agreement
    template_name = "curation/agreement_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch("relations", queryset=_public_relations("other")),
                Prefetch("incoming_relations", queryset=_public_relations("agreement")),
                Prefetch("projects", queryset=Project.objects.public()),
            )
        )


class ProjectDetail(PublicDetail):
    model = Project
    template_name = "curation/project_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(Prefetch("agreements", queryset=Agreement.objects.public()))
        )


class Preview:
    """Staff see any record's page as it will look once verified: marked as a preview, never
    cached, never indexed (see curation/urls.py). What it links to is still only public."""

    def records(self):
        return self.model.objects.all()

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "preview": True}

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        response["X-Robots-Tag"] = "noindex"
        return response


class AgreementPreview(Preview, AgreementDetail):
    pass


class ProjectPreview(Preview, ProjectDetail):
    pass


def _public_relations(linked: str):
    """Relations whose agreement at the linked end is public too."""
    public = Agreement.objects.public()
    return AgreementRelation.objects.filter(**{f"{linked}__in": public}).select_related(linked)


def organization_detail(request, reference: str):
    organization = get_object_or_404(
        Organization.objects.select_related("successor"), reference=reference
    )
    lineage = [organization, *organization.predecessors.all()]
    context = {
        "organization": organization,
        "predecessors": lineage[1:],
        "agreement_links": _public_links(Agreement, lineage),
        "project_links": _public_links(Project, lineage),
    }
    return render(request, "curation/organization_detail.html", context)


def _public_links(model, organizations):
    field = model._meta.get_field(model.LINKS)
    record = field.field.name
    return (
        field.related_model.objects.filter(
            organization__in=organizations, **{f"{record}__in": model.objects.public()}
        )
        .select_related(record, "organization")
        .order_by(f"-{record}__{model.DATE_FIELD}", f"{record}__reference")
    )


def source_detail(request, reference: str):
    source = get_object_or_404(Source, reference=reference)
    citations = [
        citation
        for citation in source.citations.select_related("agreement", "project").order_by(
            "quote_start"
        )
        if citation.record.is_public
    ]
    if not citations:
        raise Http404("No public record cites this source.")
    context = {
        "source": source,
        "passages": charts.highlighted_passages(source.captured_text, citations),
    }
    return render(request, "curation/source_detail.html", context)


def home(request):
    agreements, projects = Agreement.objects.public(), Project.objects.public()
    names = country_names()
    context = {
        "counts": {"agreements": agreements.count(), "projects": projects.count()},
        "countries": [
            (code, names.get(code, code), n) for code, n in agreements.country_counts().items()
        ][:12],
        "fields": list(_field_facets(agreements))[:12],
        "latest": agreements.exclude(verified_at=None).order_by("-verified_at")[:5],
        "latest_projects": projects.exclude(verified_at=None).order_by("-verified_at")[:5],
        "chart": charts.agreements_per_year(agreements.year_country_counts(), names),
    }
    return render(request, "curation/home.html", context)
