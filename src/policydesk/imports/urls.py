from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("imports/", views.upload, name="upload"),
    path("imports/<int:job_id>/", views.job, name="job"),
    path("exports/<slug:kind>/", views.export, name="export"),
]
