from django.urls import URLPattern, path

from . import views

app_name = "callbacks"

urlpatterns: list[URLPattern] = [
    path("callbacks/", views.queue, name="queue"),
    path("callbacks/tasks/<int:callback_task_id>/", views.task, name="task"),
    path("callbacks/tasks/<int:callback_task_id>/attempt/", views.attempt, name="attempt"),
    path("callbacks/tasks/<int:callback_task_id>/repair/", views.repair, name="repair"),
    path("callbacks/tasks/<int:callback_task_id>/fallback/", views.fallback, name="fallback"),
    path("callbacks/tasks/<int:callback_task_id>/assign/", views.assign, name="assign"),
    path("callbacks/kpis/", views.kpis, name="kpis"),
    path("callbacks/contact-worklist/", views.worklist, name="worklist"),
    path("callbacks/settings/", views.settings_page, name="settings"),
    path(
        "callbacks/settings/retry-policies/<int:retry_policy_id>/",
        views.retry_policy_edit,
        name="retry_policy_edit",
    ),
    path(
        "callbacks/settings/triggers/<int:callback_trigger_id>/",
        views.trigger_edit,
        name="trigger_edit",
    ),
]
