from django.urls import URLPattern, path

from . import views

app_name = "counter"

urlpatterns: list[URLPattern] = [
    path("counter/", views.workstation, name="workstation"),
    path("counter/act/", views.act, name="act"),
    path("counter/board/", views.board, name="board"),
    path("counter/board/live/", views.board_live, name="board_live"),
    path("counter/kpis/", views.kpis, name="kpis"),
    path("counter/productivity/", views.productivity, name="productivity"),
    path("counter/service-types/", views.service_types, name="service_types"),
    path("counter/tickets/<int:ticket_id>/", views.ticket, name="ticket"),
    path(
        "counter/customers/<int:customer_id>/visits/",
        views.customer_visits,
        name="customer_visits",
    ),
]
