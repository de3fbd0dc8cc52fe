"""The public, read-only pages: only what Record.objects.public() returns is shown."""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import render
from django.views.generic import DetailView, ListView

from curation.models import Agreement, AgreementRelation, Citation, Project


def _citations():
    return Prefetch("citations", queryset=Citation.objects.select_related("source"))


class PublicRecordMixin:
    model: type = None
    links = ""

    def get_queryset(self):
        return self.model.objects.public().prefetch_related(
            f"{self.links}__organization", "fields", _citations()
        )


class AgreementMixin(PublicRecordMixin):
    model = Agreement
    links = "party_links"


class ProjectMixin(PublicRecordMixin):
    model = Project
    links = "participant_links"


class PublicList(ListView):
    paginate_by = 50
    context_object_name = "records"
    template_name = "curation/record_list.html"


class PublicDetail(DetailView):
    context_object_name = "record"
    slug_field = "reference"
    slug_url_kwarg = "reference"


class AgreementList(AgreementMixin, PublicList):
    pass


class ProjectList(ProjectMixin, PublicList):
    pass


class AgreementDetail(AgreementMixin, PublicDetail):
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


class ProjectDetail(ProjectMixin, PublicDetail):
    template_name = "curation/project_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(Prefetch("agreements", queryset=Agreement.objects.public()))
        )


def _public_relations(linked: str):
    """Relations whose agreement at the linked end is public too."""
    public = Agreement.objects.public()
    return AgreementRelation.objects.filter(**{f"{linked}__in": public}).select_related(linked)


def home(request):
    counts = {
        "agreements": Agreement.objects.public().count(),
        "projects": Project.objects.public().count(),
    }
    return render(request, "curation/home.html", {"counts": counts})
