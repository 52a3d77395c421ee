from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.audit_log, name="audit_log"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<slug:name>/run/", views.job_run, name="job_run"),
    path("i18n/language/", views.set_language, name="set_language"),
]
