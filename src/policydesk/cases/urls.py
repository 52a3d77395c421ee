from django.urls import path

from . import views, views_process, views_rules

app_name = "cases"

urlpatterns = [
    path("cases/", views.queue, name="queue"),
    path("cases/saved-views/", views.saved_view_save, name="saved_view_save"),
    path("cases/saved-views/<int:saved_view_id>/", views.saved_view_open, name="saved_view_open"),
    path(
        "cases/saved-views/<int:saved_view_id>/delete/",
        views.saved_view_delete,
        name="saved_view_delete",
    ),
    path("cases/new/", views.open_case, name="open"),
    path("cases/bulk/", views.bulk, name="bulk"),
    path("cases/<int:case_id>/", views.detail, name="detail"),
    path("cases/<int:case_id>/transition/", views.transition, name="transition"),
    path("cases/<int:case_id>/comment/", views.comment, name="comment"),
    path("cases/<int:case_id>/checklist/", views.checklist, name="checklist"),
    path("cases/<int:case_id>/take/", views.take, name="take"),
    path("cases/<int:case_id>/update/", views.update, name="update"),
    path("cases/<int:case_id>/extend/", views.extend, name="extend"),
    path("cases/<int:case_id>/sla/", views.change_sla, name="change_sla"),
    path("cases/<int:case_id>/attachments/", views.attach, name="attach"),
    path(
        "cases/<int:case_id>/attachments/<int:attachment_id>/",
        views.download,
        name="download",
    ),
    path("processes/", views_process.process_list, name="processes"),
    path("processes/<int:process_id>/", views_process.process_detail, name="process"),
    path("processes/<int:process_id>/draft/", views_process.process_draft, name="process_draft"),
    path(
        "processes/<int:process_id>/versions/<int:number>/",
        views_process.version_edit,
        name="version_edit",
    ),
    path(
        "processes/<int:process_id>/versions/<int:number>/form/",
        views_process.version_form,
        name="version_form",
    ),
    path(
        "processes/<int:process_id>/versions/<int:number>/discard/",
        views_process.version_discard,
        name="version_discard",
    ),
    path(
        "processes/<int:process_id>/versions/<int:number>/publish/",
        views_process.version_publish,
        name="version_publish",
    ),
    # Escalation ladders, assignment rules, capacities, absences, notices (views_rules).
    path("rules/escalation/", views_rules.escalation, name="rules_escalation"),
    path("rules/escalation/<int:ladder_id>/", views_rules.ladder, name="rules_ladder"),
    path("rules/escalation/levels/<int:level_id>/", views_rules.level, name="rules_level"),
    path("rules/assignment/", views_rules.assignment, name="rules_assignment"),
    path("rules/assignment/<int:rule_id>/", views_rules.rule, name="rules_rule"),
    path("rules/capacity/", views_rules.capacity, name="rules_capacity"),
    path("rules/absences/", views_rules.absences, name="rules_absences"),
    path(
        "rules/absences/<int:absence_id>/cancel/",
        views_rules.absence_cancel,
        name="rules_absence_cancel",
    ),
    path("notifications/", views_rules.notifications, name="notifications"),
    path(
        "notifications/<int:notification_id>/read/",
        views_rules.notification_read,
        name="notification_read",
    ),
]
