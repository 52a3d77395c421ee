from django.urls import path

from . import views, views_servicing

app_name = "monitoring"

urlpatterns = [
    path("monitoring/", views.worklist, name="worklist"),
    path("monitoring/items/<int:work_item_id>/", views.item_detail, name="item"),
    path("monitoring/items/<int:work_item_id>/act/", views.item_act, name="item_act"),
    path(
        "monitoring/items/<int:work_item_id>/servicing/",
        views_servicing.servicing_open,
        name="item_servicing",
    ),
    path("monitoring/customers/<int:customer_id>/", views.customer_page, name="customer"),
    path("monitoring/customers/<int:customer_id>/review/", views.review_new, name="review_new"),
    path(
        "monitoring/customers/<int:customer_id>/life-event/",
        views.life_event_new,
        name="life_event",
    ),
    path("monitoring/reviews/<int:account_review_id>/", views.review_detail, name="review"),
    path("monitoring/reviews/<int:account_review_id>/pdf/", views.review_pdf, name="review_pdf"),
    path("monitoring/runs/", views.runs_page, name="runs"),
    path("monitoring/model/", views.model_page, name="model"),
    path("monitoring/kpis/", views.kpi_page, name="kpis"),
    path("monitoring/contacts/", views.contacts_page, name="contacts"),
]
