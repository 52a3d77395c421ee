from django.urls import path

from . import views

app_name = "servicing"

urlpatterns = [
    path("servicing/", views.queue, name="queue"),
    path("servicing/apply/", views.apply, name="apply"),
    path("servicing/catalogue/", views.catalogue, name="catalogue"),
    path("servicing/kpis/", views.kpis, name="kpis"),
    path("servicing/items/<int:item_id>/", views.detail, name="detail"),
    path("servicing/items/<int:item_id>/act/", views.act, name="act"),
]
