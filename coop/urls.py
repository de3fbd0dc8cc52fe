from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "coop curation"
admin.site.site_title = "coop curation"
admin.site.index_title = "Curate cooperation records"
# The record lists need the width: breadcrumbs and the index page lead to every model.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("admin/", admin.site.urls),
    # English at /agreements/, Vietnamese at /vi/agreements/: a language is part of the URL,
    # so links to a page in either language can be shared and cached.
    *i18n_patterns(path("", include("curation.urls")), prefix_default_language=False),
]
