from django.contrib.admin.views.decorators import staff_member_required
from django.urls import path
from django.views.decorators.cache import never_cache

from curation import feeds, views
from curation.caching import cached_public_page as cached
from curation.models import Agreement, Project

app_name = "curation"

urlpatterns = [
    path("", cached(views.home), name="home"),
    path("agreements/", cached(views.AgreementList.as_view()), name="agreement-list"),
    path(
        "agreements/<str:reference>/",
        cached(views.AgreementDetail.as_view()),
        name="agreement-detail",
    ),
    path(
        "agreements/<str:reference>/annotations.jsonld",
        cached(views.record_annotations(Agreement)),
        name="agreement-annotations",
    ),
    path("projects/", cached(views.ProjectList.as_view()), name="project-list"),
    path(
        "projects/<str:reference>/annotations.jsonld",
        cached(views.record_annotations(Project)),
        name="project-annotations",
    ),
    path("projects/<str:reference>/", cached(views.ProjectDetail.as_view()), name="project-detail"),
    path(
        "organizations/<str:reference>/",
        cached(views.organization_detail),
        name="organization-detail",
    ),
    path("sources/<str:reference>/", cached(views.source_detail), name="source-detail"),
    path("sources/<str:reference>/text.txt", cached(views.source_text), name="source-text"),
    path(
        "sources/<str:reference>/annotations.jsonld",
        cached(views.source_annotations),
        name="source-annotations",
    ),
    path("feed/", cached(feeds.NewlyVerifiedFeed()), name="feed"),
    path("reconcile/", views.reconcile_service, name="reconcile"),
    path("reconcile/suggest/<str:kind>", views.reconcile_suggest, name="reconcile-suggest"),
    path("reconcile/preview/<str:reference>", views.reconcile_preview, name="reconcile-preview"),
    path("reconcile/view/<str:reference>", views.reconcile_view, name="reconcile-view"),
    path("data/datapackage.json", cached(views.data_package), name="data-package"),
    path("data/<str:name>.csv", views.data_table, name="data-table"),
    path(
        "preview/agreements/<str:reference>/",
        staff_member_required(never_cache(views.AgreementPreview.as_view())),
        name="agreement-preview",
    ),
    path(
        "preview/projects/<str:reference>/",
        staff_member_required(never_cache(views.ProjectPreview.as_view())),
        name="project-preview",
    ),
]
