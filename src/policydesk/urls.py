from django.contrib import admin
from django.urls import include, path

from policydesk.core.api import api

handler403 = "policydesk.core.views.permission_denied"
handler404 = "policydesk.core.views.page_not_found"
handler500 = "policydesk.core.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("policydesk.org.urls")),
    path("", include("policydesk.customers.urls")),
    path("", include("policydesk.policies.urls")),
    path("", include("policydesk.core.urls")),
    path("", include("policydesk.imports.urls")),
    path("", include("policydesk.cases.urls")),
    path("", include("policydesk.complaints.urls")),
    path("", include("policydesk.newbusiness.urls")),
    path("", include("policydesk.servicing.urls")),
    path("", include("policydesk.claims.urls")),
    path("", include("policydesk.counter.urls")),
    path("", include("policydesk.callbacks.urls")),
    path("", include("policydesk.monitoring.urls")),
]
