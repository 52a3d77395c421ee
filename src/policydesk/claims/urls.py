from django.urls import path

from . import views

app_name = "claims"

urlpatterns = [
    path("claims/", views.queue, name="queue"),
    path("claims/new/", views.intake, name="intake"),
    path("claims/clean-up/", views.clean_up, name="clean_up"),
    path("claims/investigators/", views.investigators, name="investigators"),
    path("claims/investigations/", views.investigations, name="investigations"),
    path("claims/kpis/", views.kpis, name="kpis"),
    path("claims/<int:claim_id>/", views.detail, name="detail"),
    path("claims/<int:claim_id>/act/", views.act, name="act"),
]
