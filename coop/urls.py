from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "coop curation"
admin.site.site_title = "coop curation"
admin.site.index_title = "Curate cooperation records"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("curation.urls")),
]
