"""The public, read-only site: only what Record.objects.public() returns is ever shown."""

from __future__ import annotations

import json

from csp.decorators import csp_replace
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import DetailView, ListView

from curation import annotations, charts, datapackage, downloads, facets, listing, reconcile
from curation.countries import country_names
from curation.filters import AgreementFilter, ProjectFilter
from curation.models import (
    Agreement,
    AgreementRelation,
    FieldOfCooperation,
    Organization,
    Project,
    Source,
)


class PublicRecordMixin:
    model: type = None

    def records(self):
        return self.model.objects.public()

    def get_queryset(self):
        return downloads.with_related(self.model, self.records())


class PublicList(PublicRecordMixin, ListView):
    paginate_by = 50
    context_object_name = "records"
    template_name = "curation/record_list.html"
    filterset_class = None

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.notices: list[str] = []  # shown on the page itself, so cached pages stay correct

    def get_queryset(self):
        self.filterset = self.filterset_class(self.request.GET or None, queryset=self.records())
        self.notices += self.filterset.error_messages()
        return self.filterset.qs

    @cached_property
    def counts(self) -> facets.Facets:
        """The list's facets and total: for its page, not for a download."""
        return facets.of_list(self.filterset)

    def get_paginator(self, queryset, per_page, **kwargs):
        paginator = super().get_paginator(queryset, per_page, **kwargs)
        paginator.count = self.counts.total  # from the facets: no count of the records
        return paginator

    def get(self, request, *args, **kwargs):
        download = request.GET.get("format", "")
        if download in ("csv", "json"):
            queryset = self.get_queryset()
            name = self.model._meta.verbose_name_plural
            if download == "json":  # its records link to their pages: whole addresses
                return downloads.json_response(queryset, name, request.build_absolute_uri("/"))
            return downloads.csv_response(queryset, name)
        if download:
            self.notices.append(_("Unknown format “%s”: use csv or json.") % download[:20])
        return super().get(request, *args, **kwargs)

    def paginate_queryset(self, queryset, page_size):
        # The page's rows read only what they show (a download reads whole records).
        queryset = listing.in_list_order(
            self.filterset, queryset.values(*listing.values(self.model))
        )
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
        names = dict(self.filterset.form.fields["country"].choices)
        counts = self.counts
        context |= {
            "records": listing.rows(self.model, context["object_list"]),
            "notices": self.notices,
            "filter": self.filterset,
            "facets": {
                "country": [
                    (code, names.get(code, code), n) for code, n in counts.countries.items()
                ],
                "kind": [
                    (kind, label, counts.kinds[kind])
                    for kind, label in self.model.Kind.choices
                    if kind in counts.kinds
                ],
                "field": list(_field_facets(counts.fields)),
            },
            "query_without_page": _query_without(self.request, "page"),
            "is_agreement": self.model is Agreement,
        }
        return context


def _field_facets(counts: dict[int, int]):
    """(slug, name in the reader's language, records) of each field that records have."""
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
                Prefetch("projects", queryset=_linked(Project.objects.public())),
            )
        )


class ProjectDetail(PublicDetail):
    model = Project
    template_name = "curation/project_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(Prefetch("agreements", queryset=_linked(Agreement.objects.public())))
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


def _linked(records):
    """What a record's page shows of the records it links to: each one's reference and title."""
    return records.only("reference", "title_en")


def _public_relations(linked: str):
    """Relations whose agreement at the linked end is public too."""
    public = Agreement.objects.public()
    relations = AgreementRelation.objects.filter(**{f"{linked}__in": public})
    shown = ["kind", "agreement", "other", f"{linked}__reference", f"{linked}__title_en"]
    return relations.select_related(linked).only(*shown)


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


@csrf_exempt  # read-only, and asked by programs (OpenRefine) that hold no session
def reconcile_service(request):
    """The reconciliation endpoint: its manifest, or the answers to a batch of queries."""
    raw = request.POST.get("queries", request.GET.get("queries"))
    if raw is None:
        return _json(reconcile.manifest(_site(request)))
    try:
        batch = json.loads(raw)
        if not isinstance(batch, dict) or not all(isinstance(q, dict) for q in batch.values()):
            raise ValueError
        if len(batch) > reconcile.MOST_QUERIES:
            message = f"A batch holds at most {reconcile.MOST_QUERIES} queries; send several."
            return _json({"error": message}, status=400)
    except ValueError:
        message = '“queries” must be a JSON object of queries, e.g. {"q0": {"query": "MOST"}}.'
        return _json({"error": message}, status=400)
    return _json(reconcile.answer(batch))


def reconcile_suggest(request, kind: str):
    prefix = request.GET.get("prefix", "")
    if kind == "entity":
        types = request.GET.getlist("type") or list(reconcile.TYPES)
        return _json({"result": reconcile.suggest(prefix, types)})
    vocabulary = {"property": reconcile.PROPERTIES, "type": reconcile.TYPES}.get(kind)
    if vocabulary is None:
        raise Http404("No such suggest service.")
    return _json({"result": reconcile.suggest_named(vocabulary, prefix)})


@xframe_options_exempt  # OpenRefine shows the preview in a frame
@csp_replace({"frame-ancestors": ["*"]})
def reconcile_preview(request, reference: str):
    found = reconcile.entity(reference)
    if found is None:
        raise Http404("No public record or organization has this reference.")
    return render(request, "curation/reconcile_preview.html", {"entity": found})


def reconcile_view(request, reference: str):
    found = reconcile.entity(reference)
    if found is None:
        raise Http404("No public record or organization has this reference.")
    return redirect(found.get_absolute_url())


def _site(request) -> str:
    return request.build_absolute_uri("/")[:-1]


def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def data_package(request):
    return _json(datapackage.descriptor(_site(request)))


def data_table(request, name: str):
    if name not in datapackage.TABLES:
        raise Http404("No such table.")
    return datapackage.TABLES[name].response()


def source_text(request, reference: str):
    """The captured text that quotes are checked against, and web annotations point into."""
    source = get_object_or_404(Source, reference=reference)
    if not annotations.public_citations().filter(source=source).exists():
        raise Http404("No public record cites this source.")
    return HttpResponse(source.captured_text, content_type="text/plain; charset=utf-8")


def source_annotations(request, reference: str):
    source = get_object_or_404(Source, reference=reference)
    citations = annotations.public_citations().filter(source=source)
    if not citations:
        raise Http404("No public record cites this source.")
    return _annotations_response(request, source, citations)


def record_annotations(model):
    def view(request, reference: str):
        record = get_object_or_404(model.objects.public(), reference=reference)
        citations = annotations.public_citations().filter(**{model._meta.model_name: record})
        return _annotations_response(request, record, citations)

    return view


def _annotations_response(request, owner, citations):
    with translation.override("en"):  # one language for the labels and the addresses
        data = annotations.collection(owner, citations, _site(request))
    return JsonResponse(
        data, content_type=annotations.CONTENT_TYPE, json_dumps_params={"ensure_ascii": False}
    )


def home(request):
    everything, names = facets.of_all(Agreement), country_names()
    countries = [(code, names.get(code, code), n) for code, n in everything.countries.items()]
    context = {
        "counts": {"agreements": everything.total, "projects": Project.objects.public().count()},
        "countries": countries[:12],
        "fields": list(_field_facets(everything.fields))[:12],
        "latest": _latest_verified(Agreement),
        "latest_projects": _latest_verified(Project),
        "chart": charts.agreements_per_year(facets.per_year_and_country(Agreement), names),
    }
    return render(request, "curation/home.html", context)


def _latest_verified(model):
    return model.objects.public().exclude(verified_at=None).order_by("-verified_at")[:5]
