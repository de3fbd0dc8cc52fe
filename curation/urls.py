from django.urls import path

from curation import feeds, views

app_name = "curation"

urlpatterns = [
    path("", views.home, name="home"),
    path("agreements/", views.AgreementList.as_view(), name="agreement-list"),
    path("agreements/<str:reference>/", views.AgreementDetail.as_view(), name="agreement-detail"),
    path("projects/", views.ProjectList.as_view(), name="project-list"),
    path("projects/<str:reference>/", views.ProjectDetail.as_view(), name="project-detail"),
    path("organizations/<str:reference>/", views.organization_detail, name="organization-detail"),
    path("sources/<str:reference>/", views.source_detail, name="source-detail"),
    path("feed/", feeds.NewlyVerifiedFeed(), name="feed"),
]
