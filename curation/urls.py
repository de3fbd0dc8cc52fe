from django.contrib.admin.views.decorators import staff_member_required
from django.urls import path
from django.views.decorators.cache import never_cache

from curation import feeds, views
from curation.caching import cached_public_page as cached

app_name = "curation"

urlpatterns = [
    path("", cached(views.home), name="home"),
    path("agreements/", cached(views.AgreementList.as_view()), name="agreement-list"),
    path(
        "agreements/<str:reference>/",
        cached(views.AgreementDetail.as_view()),
        name="agreement-detail",
    ),
    path("projects/", cached(views.ProjectList.as_view()), name="project-list"),
    path("projects/<str:reference>/", cached(views.ProjectDetail.as_view()), name="project-detail"),
    path(
        "organizations/<str:reference>/",
        cached(views.organization_detail),
        name="organization-detail",
    ),
    path("sources/<str:reference>/", cached(views.source_detail), name="source-detail"),
    path("feed/", cached(feeds.NewlyVerifiedFeed()), name="feed"),
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
