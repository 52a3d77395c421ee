from django.urls import path

from . import views, views_process

app_name = "cases"

urlpatterns = [
    path("cases/", views.queue, name="queue"),
    path("cases/new/", views.open_case, name="open"),
    path("cases/bulk/", views.bulk, name="bulk"),
    path("cases/<int:case_id>/", views.detail, name="detail"),
    path("cases/<int:case_id>/transition/", views.transition, name="transition"),
    path("cases/<int:case_id>/comment/", views.comment, name="comment"),
    path("cases/<int:case_id>/checklist/", views.checklist, name="checklist"),
    path("cases/<int:case_id>/take/", views.take, name="take"),
    path("cases/<int:case_id>/update/", views.update, name="update"),
    path("cases/<int:case_id>/extend/", views.extend, name="extend"),
    path("processes/", views_process.process_list, name="processes"),
    path("processes/<int:process_id>/", views_process.process_detail, name="process"),
    path("processes/<int:process_id>/draft/", views_process.process_draft, name="process_draft"),
    path(
        "processes/<int:process_id>/versions/<int:number>/",
        views_process.version_edit,
        name="version_edit",
    ),
    path(
        "processes/<int:process_id>/versions/<int:number>/publish/",
        views_process.version_publish,
        name="version_publish",
    ),
]
