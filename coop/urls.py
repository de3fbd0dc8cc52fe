from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "coop curation"
admin.site.site_title = "coop curation"
admin.site.index_title = "Curate cooperation records"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("curation.urls")),
]
